import type { Tags } from '../../../common/tags';
import { ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { parseDeleteChannel } from '../../domain/validate';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** Judged by `parseDeleteChannel`. */
export class DeleteChannelBody {
  static readonly parse = parseDeleteChannel;

  /** The channel's exact tag set. */
  @ApiKeyValues()
  readonly KeyValues!: Tags;

  tags(): Tags {
    return commandOf(this, parseDeleteChannel).tags;
  }
}
