// The Node.js libraries that SSR apps put in front of their cache and that need Lua
// scripting, used unchanged against the real vellumd:
//   - rate-limit-redis (the store of express-rate-limit): SCRIPT LOAD once, then EVALSHA
//     on every hit, reloading the script when the server answers NOSCRIPT;
//   - redlock: EVALSHA of a digest it computes itself (so the server's SHA1 must be the
//     real one), falling back to EVAL on NOSCRIPT; acquire, extend, release.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { RedisStore } from 'rate-limit-redis';
import Redlock, { ExecutionError } from 'redlock';
import { startVellumd } from './vellumd.mjs';

let server;

before(async () => {
  server = await startVellumd();
});

after(async () => {
  await server.stop();
});

test('rate-limit-redis counts hits in a window through EVALSHA (node-redis)', async () => {
  const client = createClient({ socket: { host: '127.0.0.1', port: server.port } });
  await client.connect();
  try {
    const store = new RedisStore({ sendCommand: (...args) => client.sendCommand(args), prefix: 'rl:' });
    await store.init({ windowMs: 60000 });
    let last;
    for (let i = 1; i <= 5; i++) {
      last = await store.increment('203.0.113.7');
      assert.equal(last.totalHits, i);
    }
    const remaining = last.resetTime.getTime() - Date.now();
    assert.ok(remaining > 55000 && remaining <= 60000, `reset in ${remaining} ms`);
    const pttl = await client.pTTL('rl:203.0.113.7');
    assert.ok(pttl > 55000 && pttl <= 60000);
    assert.equal((await store.get('203.0.113.7')).totalHits, 5);
    await store.decrement('203.0.113.7');
    assert.equal((await store.increment('203.0.113.7')).totalHits, 5);
    // Another client is counted apart.
    assert.equal((await store.increment('198.51.100.1')).totalHits, 1);
    // The server forgets its scripts (a restart, SCRIPT FLUSH): the store gets NOSCRIPT,
    // loads the script again and goes on counting.
    await client.sendCommand(['SCRIPT', 'FLUSH']);
    assert.equal((await store.increment('203.0.113.7')).totalHits, 6);
    await store.resetKey('203.0.113.7');
    assert.equal((await store.increment('203.0.113.7')).totalHits, 1);
  } finally {
    await client.quit();
  }
});

test('rate-limit-redis under concurrent hits loses none (ioredis)', async () => {
  const clients = [0, 1, 2, 3].map(() => new Redis({ host: '127.0.0.1', port: server.port }));
  try {
    const stores = await Promise.all(clients.map(async (c) => {
      const s = new RedisStore({ sendCommand: (cmd, ...args) => c.call(cmd, ...args), prefix: 'rlc:' });
      await s.init({ windowMs: 60000 });
      return s;
    }));
    const hits = await Promise.all(stores.flatMap((s) => Array.from({ length: 50 }, () => s.increment('burst'))));
    const counts = hits.map((h) => h.totalHits).sort((a, b) => a - b);
    // Atomic scripts: every hit got its own count, 1..200, none twice.
    assert.deepEqual(counts, Array.from({ length: 200 }, (_, i) => i + 1));
  } finally {
    for (const c of clients) c.disconnect();
  }
});

test('redlock acquires, excludes, extends and releases a lock', async () => {
  const a = new Redis({ host: '127.0.0.1', port: server.port });
  const b = new Redis({ host: '127.0.0.1', port: server.port });
  try {
    const first = new Redlock([a], { retryCount: 0 });
    const second = new Redlock([b], { retryCount: 0 });
    const lock = await first.acquire(['lock:render:/home'], 5000);
    assert.equal(await a.get('lock:render:/home'), lock.value);
    await assert.rejects(second.acquire(['lock:render:/home'], 5000), ExecutionError);
    const extended = await lock.extend(10000);
    const pttl = await a.pttl('lock:render:/home');
    assert.ok(pttl > 5000 && pttl <= 10000, `pttl ${pttl}`);
    await extended.release();
    assert.equal(await a.exists('lock:render:/home'), 0);
    // Released: the other instance gets it now, and its release leaves others' locks be.
    const other = await second.acquire(['lock:render:/home'], 5000);
    await a.set('lock:render:/about', 'someone-else');
    await other.release();
    assert.equal(await a.get('lock:render:/about'), 'someone-else');
    // redlock ran EVALSHA with digests it computed itself: they match the server's.
    const [exists] = await a.call('SCRIPT', 'EXISTS', first.scripts.acquireScript.hash);
    assert.equal(exists, 1);
  } finally {
    a.disconnect();
    b.disconnect();
  }
});
