// Types for the two oidc-provider modules bare-target.ts imports by path (the package has no
// "exports" map; @types/oidc-provider describes its public API only): the library's own memory
// adapter, given a store of the library's own LRU.
declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(options: { maxSize: number });
    get(key: string): unknown;
    set(key: string, value: unknown, options?: { maxAge?: number }): void;
    delete(key: string): void;
  }
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  import type { Adapter } from 'oidc-provider';
  import type LRU from 'oidc-provider/lib/helpers/lru.js';

  export default class MemoryAdapter implements Adapter {
    constructor(model: string, store?: LRU, clockTolerance?: number);
    upsert: Adapter['upsert'];
    find: Adapter['find'];
    findByUid: Adapter['findByUid'];
    findByUserCode: Adapter['findByUserCode'];
    consume: Adapter['consume'];
    destroy: Adapter['destroy'];
    revokeByGrantId: Adapter['revokeByGrantId'];
  }
}
