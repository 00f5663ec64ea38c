import { SqliteWillowStore } from '../../src/willow/store/sqlite-willow.store';
import { embeddedFixture } from './support/embedded-fixture';
import { describeWillowStore } from './willow-store.conformance';

describeWillowStore('sqlite :memory:', () => embeddedFixture('memory', (storage) => new SqliteWillowStore(storage)));

describeWillowStore('sqlite temp dir', () => embeddedFixture('temp-dir', (storage) => new SqliteWillowStore(storage)), {
  durable: true,
});
