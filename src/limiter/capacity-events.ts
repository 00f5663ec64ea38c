import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { Tags } from '../common/tags';
import type { CapacityFreed } from './limiter.port';

/** The hot `capacityFreed$` stream, fed only after the write that freed capacity has committed. */
@Injectable()
export class CapacityEvents implements OnApplicationShutdown {
  private readonly subject = new Subject<CapacityFreed>();
  readonly stream$: Observable<CapacityFreed> = this.subject.asObservable();

  /** A counter of `tags` went down; `null`: rules or overrides changed. */
  emit(tags: Tags | null): void {
    this.subject.next({ tags });
  }

  onApplicationShutdown(): void {
    this.subject.complete();
  }
}
