// Produce tests/data/ipfs/unixfs_vectors.json: the CIDs that js-ipfs (ipfs@0.66.1, an
// independent and Kubo-compatible implementation) computes for `add --cid-version=1`,
// so the Python importer in minting/ipfs/unixfs.py is checked against a real node.
//
// Run from the repository root, with Node 22 first on PATH:
//   export PATH=$PWD/toolchain/node22/node_modules/.bin:$PATH
//   (cd toolchain/ipfs && npm ci)
//   node tests/data/ipfs/make_unixfs_vectors.mjs
//
// The file contents are not committed: both sides regenerate them from the same
// deterministic stream (see `vectorBytes` and tests/unit/test_unixfs.py).
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..', '..', '..')
// The script lives beside its output, not beside node_modules, so load js-ipfs by path.
const { create } = await import(pathToFileURL(join(root, 'toolchain/ipfs/node_modules/ipfs-core/src/index.js')))

const KiB = 1024
const MiB = 1024 * KiB
const SIZES = [
  ['empty', 0],
  ['one-byte', 1],
  ['one-chunk', 256 * KiB],
  ['one-chunk-plus-one', 256 * KiB + 1],
  ['one-mebibyte', 1 * MiB],
  ['one-full-node-plus-one', 174 * 256 * KiB + 1], // 175 leaves: the lone last leaf gets its own parent
  ['fifty-mebibytes', 50 * MiB] // 200 leaves > 174 links: a two-level tree
]

// The content stream: SHA-256 of a big-endian 64-bit counter 0, 1, 2, …, concatenated and
// cut at `size`. Yielded in 100,000-byte pieces so the importer must re-chunk (the piece
// size deliberately does not divide 262144).
async function * vectorBytes (size) {
  const piece = 100_000
  let counter = 0n
  let pending = Buffer.alloc(0)
  let sent = 0
  while (sent < size) {
    const parts = [pending]
    let have = pending.length
    while (have < piece) {
      const c = Buffer.alloc(8)
      c.writeBigUInt64BE(counter++)
      parts.push(createHash('sha256').update(c).digest())
      have += 32
    }
    const buf = Buffer.concat(parts)
    const take = Math.min(piece, size - sent)
    yield buf.subarray(0, take)
    pending = buf.subarray(take)
    sent += take
  }
}

const repo = mkdtempSync(join(tmpdir(), 'unixfs-vectors-'))
const ipfs = await create({
  repo,
  offline: true,
  silent: true,
  start: false,
  config: { Addresses: { Swarm: [], API: '', Gateway: '' }, Bootstrap: [], Discovery: { MDNS: { Enabled: false } } }
})

const vectors = []
try {
  for (const [name, size] of SIZES) {
    // The same options Kubo's `ipfs add --cid-version=1` implies; spelled out so a change
    // of js-ipfs defaults cannot change the vectors silently.
    const added = await ipfs.add(vectorBytes(size), {
      cidVersion: 1,
      rawLeaves: true,
      chunker: 'size-262144',
      layout: 'balanced',
      maxChildrenPerNode: 174,
      hashAlg: 'sha2-256',
      pin: false
    })
    const cid = added.cid.toString() // CIDv1 prints as base32 by default in ipfs-core
    let blocks = 1
    for await (const _ of ipfs.refs(added.cid, { recursive: true, unique: true })) blocks++
    vectors.push({ name, size, cid, blocks })
    console.log(`${String(size).padStart(9)}  ${cid}  (${blocks} blocks)`)
  }
} finally {
  await ipfs.stop()
  rmSync(repo, { recursive: true, force: true })
}

const { version } = (await import(pathToFileURL(join(root, 'toolchain/ipfs/node_modules/ipfs/package.json')), { with: { type: 'json' } })).default
writeFileSync(join(here, 'unixfs_vectors.json'), JSON.stringify({
  producer: `js-ipfs ipfs@${version} (ipfs-core add: cidVersion 1, rawLeaves, size-262144, balanced, 174 links, sha2-256)`,
  script: 'tests/data/ipfs/make_unixfs_vectors.mjs',
  content: 'concatenation of sha256(uint64_be(i)) for i = 0, 1, 2, ..., cut at size bytes',
  vectors
}, null, 2) + '\n')
