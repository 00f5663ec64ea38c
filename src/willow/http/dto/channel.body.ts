import { parseTags, type Tags } from '../../../common/tags';
import { ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { ParsedBy } from '../../../platform/http/dto/parsed-by';

export class DeleteChannelBody {
  /** The channel's exact tag set. */
  @ApiKeyValues()
  @ParsedBy((v, p) => parseTags(v, p))
  readonly KeyValues!: Tags;
}
