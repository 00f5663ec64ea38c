import { SqliteLockerStore } from '../../src/locker/store/sqlite-locker.store';
import { describeLockerStore } from './locker-store.conformance';
import { embeddedFixture } from './support/embedded-fixture';

describeLockerStore('sqlite :memory:', () => embeddedFixture('memory', (storage) => new SqliteLockerStore(storage)));

describeLockerStore('sqlite temp dir', () => embeddedFixture('temp-dir', (storage) => new SqliteLockerStore(storage)), {
  durable: true,
});
