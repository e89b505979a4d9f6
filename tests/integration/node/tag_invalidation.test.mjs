// An SSR cache handler's tag-invalidation flow, driven by the two Node.js clients SSR
// frameworks use (ioredis and node-redis) against the real vellumd:
//   1. render -> SET page with EXAT, and in MULTI add it to tag sets and a meta hash;
//   2. invalidate a tag -> read its set, delete its pages and the set in MULTI, PUBLISH;
//   3. every app instance (a second client, subscribed) receives the invalidation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { startVellumd, withTimeout } from './vellumd.mjs';

let server, port;

before(async () => {
  server = await startVellumd();
  port = server.port;
});

after(async () => {
  await server.stop();
});

async function renderPage(client, path, html, tags, ttlSeconds) {
  const exat = Math.floor(Date.now() / 1000) + ttlSeconds;
  const multi = client.multi().set(`page:${path}`, html, 'EXAT', exat)
    .hset(`meta:${path}`, 'renderedAt', String(Date.now()), 'tags', tags.join(','));
  for (const tag of tags) multi.sadd(`tag:${tag}`, path);
  const results = await multi.exec();
  for (const [err] of results) assert.equal(err, null);
}

async function invalidateTag(client, tag) {
  const paths = await client.smembers(`tag:${tag}`);
  const multi = client.multi();
  for (const p of paths) multi.del(`page:${p}`, `meta:${p}`);
  multi.del(`tag:${tag}`);
  multi.publish('cache:invalidate', tag);
  const results = await multi.exec();
  return { paths, receivers: results[results.length - 1][1] };
}

test('ioredis renders, node-redis instance receives the invalidation', async () => {
  const app = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  await app.connect();
  const sub = createClient({ socket: { host: '127.0.0.1', port } });
  await sub.connect();
  try {
    let deliver;
    const received = new Promise((resolve) => { deliver = resolve; });
    // subscribe() resolves once the server has confirmed the subscription.
    await sub.subscribe('cache:invalidate', (msg) => deliver(msg));
    await renderPage(app, '/blog/1', '<html>post 1</html>', ['blog', 'post:1'], 300);
    await renderPage(app, '/blog/2', '<html>post 2</html>', ['blog', 'post:2'], 300);
    await renderPage(app, '/about', '<html>about</html>', ['static'], 300);
    assert.equal(await app.get('page:/blog/1'), '<html>post 1</html>');
    const ttl = await app.ttl('page:/blog/1');
    assert.ok(ttl > 290 && ttl <= 300, `ttl ${ttl}`);
    assert.deepEqual((await app.smembers('tag:blog')).sort(), ['/blog/1', '/blog/2']);

    const { paths, receivers } = await invalidateTag(app, 'blog');
    assert.deepEqual(paths.sort(), ['/blog/1', '/blog/2']);
    assert.equal(receivers, 1);
    assert.equal(await withTimeout(received, 5000, 'invalidation message'), 'blog');
    assert.equal(await app.exists('page:/blog/1', 'page:/blog/2', 'tag:blog'), 0);
    assert.equal(await app.get('page:/about'), '<html>about</html>');
  } finally {
    await sub.quit();
    app.disconnect();
  }
});

test('node-redis renders in a transaction, ioredis instance receives the invalidation', async () => {
  const app = createClient({ socket: { host: '127.0.0.1', port } });
  await app.connect();
  const sub = new Redis({ host: '127.0.0.1', port });
  try {
    await sub.subscribe('cache:invalidate');
    const received = new Promise((resolve) => sub.on('message', (_ch, msg) => resolve(msg)));
    const exat = Math.floor(Date.now() / 1000) + 120;
    const res = await app.multi()
      .set('page:/shop', '<html>shop</html>', { EXAT: exat })
      .sAdd('tag:shop', '/shop')
      .hSet('meta:/shop', { tags: 'shop' })
      .exec();
    assert.deepEqual(res, ['OK', 1, 1]);
    assert.equal(await app.get('page:/shop'), '<html>shop</html>');
    const paths = await app.sMembers('tag:shop');
    const out = await app.multi().del(paths.map((p) => `page:${p}`)).del('tag:shop')
      .publish('cache:invalidate', 'shop').exec();
    assert.deepEqual(out, [1, 1, 1]);
    assert.equal(await withTimeout(received, 5000, 'invalidation message'), 'shop');
    assert.equal(await app.exists('page:/shop'), 0);
  } finally {
    await app.quit();
    sub.disconnect();
  }
});

test('WATCH guards a read-modify-write from both clients', async () => {
  const a = new Redis({ host: '127.0.0.1', port });
  const b = createClient({ socket: { host: '127.0.0.1', port } });
  await b.connect();
  try {
    await a.set('counter:views', '10');
    await a.watch('counter:views');
    await b.set('counter:views', '99');  // another instance changes it
    const res = await a.multi().set('counter:views', '11').exec();
    assert.equal(res, null);  // aborted
    assert.equal(await a.get('counter:views'), '99');
  } finally {
    a.disconnect();
    await b.quit();
  }
});

// Laravel's tagged cache (Illuminate\Cache\RedisTagSet, Laravel 10+) keeps each tag's
// entries in a sorted set scored by their expiry time: ZADD ... GT on put (NX with -1 for
// a forever entry), ZREMRANGEBYSCORE 0 <now> to drop stale entries, ZSCAN to walk the
// entries when the tag is flushed. The same flow, step for step, through ioredis.
test('a Laravel-style tag index on sorted sets: put, prune stale, flush by ZSCAN', async () => {
  const app = new Redis({ host: '127.0.0.1', port });
  try {
    const now = Math.floor(Date.now() / 1000);
    const tagKey = 'laravel_cache:tag:posts:entries';
    const put = async (key, value, ttl) => {
      await app.set(`laravel_cache:${key}`, value, 'EX', ttl);
      assert.equal(await app.zadd(tagKey, 'GT', now + ttl, key), 1);
    };
    await put('post:1', 'one', 300);
    await put('post:2', 'two', 600);
    assert.equal(await app.zadd(tagKey, 'NX', -1, 'post:forever'), 1);  // rememberForever
    await app.set('laravel_cache:post:forever', 'kept');
    // An entry whose expiry passed (written long ago), then pruned as flushStale does.
    assert.equal(await app.zadd(tagKey, 'GT', now - 10, 'post:old'), 1);
    assert.equal(await app.zadd(tagKey, 'GT', now - 100, 'post:old'), 0);  // GT keeps the later
    assert.equal(await app.zremrangebyscore(tagKey, 0, now), 1);
    assert.deepEqual(await app.zrange(tagKey, 0, -1), ['post:forever', 'post:1', 'post:2']);
    // Re-putting an entry with a longer TTL moves its expiry up (GT), a shorter one not.
    await app.zadd(tagKey, 'GT', now + 900, 'post:1');
    await app.zadd(tagKey, 'GT', now + 5, 'post:2');
    assert.equal(Number(await app.zscore(tagKey, 'post:1')), now + 900);
    assert.equal(Number(await app.zscore(tagKey, 'post:2')), now + 600);
    // Flush the tag: walk its entries with ZSCAN, delete them, then the tag itself.
    const entries = [];
    let cursor = '0';
    do {
      const [next, flat] = await app.zscan(tagKey, cursor, 'COUNT', 1000);
      for (let i = 0; i < flat.length; i += 2) entries.push(flat[i]);
      cursor = next;
    } while (cursor !== '0');
    assert.deepEqual(entries.sort(), ['post:1', 'post:2', 'post:forever']);
    assert.equal(await app.del(...entries.map((k) => `laravel_cache:${k}`)), 3);
    assert.equal(await app.del(tagKey), 1);
    assert.equal(await app.exists(tagKey, 'laravel_cache:post:1'), 0);
  } finally {
    app.disconnect();
  }
});
