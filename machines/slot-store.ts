/**
 * The scaler's slot store: an immutable map from worker id to slot whose update copies one path of a 32-way hash
 * trie (O(log n), at most 7 small arrays), not every slot. Snapshots stay immutable, so the statechart tools
 * (model-based tests, the inspector) see each state as it was. Pure, no dependencies.
 */

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;
/** 32-bit hashes, 5 bits per level: below this depth equal hashes share a bucket. */
const MAX_DEPTH = 7;

interface Leaf<V> {
  readonly kind: 'leaf';
  readonly hash: number;
  readonly key: string;
  readonly value: V;
}

interface Bucket<V> {
  readonly kind: 'bucket';
  readonly hash: number;
  readonly leaves: readonly Leaf<V>[];
}

interface Branch<V> {
  readonly kind: 'branch';
  readonly children: readonly (Entry<V> | undefined)[];
}

type Entry<V> = Leaf<V> | Bucket<V> | Branch<V>;

export interface SlotStore<V> {
  readonly size: number;
  readonly root: Branch<V>;
}

/** FNV-1a, 32 bits. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function indexAt(hash: number, depth: number): number {
  return (hash >>> (depth * BITS)) & MASK;
}

const EMPTY_BRANCH: Branch<never> = { kind: 'branch', children: new Array(WIDTH).fill(undefined) };

export function emptyStore<V>(): SlotStore<V> {
  return { size: 0, root: EMPTY_BRANCH };
}

export function storeGet<V>(store: SlotStore<V>, key: string): V | undefined {
  const hash = hashOf(key);
  let entry: Entry<V> | undefined = store.root;
  for (let depth = 0; entry !== undefined; depth += 1) {
    if (entry.kind === 'leaf') return entry.key === key ? entry.value : undefined;
    if (entry.kind === 'bucket') return entry.leaves.find((leaf) => leaf.key === key)?.value;
    entry = entry.children[indexAt(hash, depth)];
  }
  return undefined;
}

export function storeHas<V>(store: SlotStore<V>, key: string): boolean {
  return storeGet(store, key) !== undefined;
}

function withChild<V>(branch: Branch<V>, index: number, child: Entry<V> | undefined): Branch<V> {
  const children = branch.children.slice();
  children[index] = child;
  return { kind: 'branch', children };
}

/** Two leaves with different keys under one index: a branch (or, past the last level, a bucket) holding both. */
function join<V>(a: Leaf<V>, b: Leaf<V>, depth: number): Entry<V> {
  if (depth >= MAX_DEPTH || a.hash === b.hash) return { kind: 'bucket', hash: a.hash, leaves: [a, b] };
  const ia = indexAt(a.hash, depth);
  const ib = indexAt(b.hash, depth);
  const branch = EMPTY_BRANCH as Branch<V>;
  if (ia === ib) return withChild(branch, ia, join(a, b, depth + 1));
  return withChild(withChild(branch, ia, a), ib, b);
}

function put<V>(entry: Entry<V> | undefined, leaf: Leaf<V>, depth: number): { entry: Entry<V>; added: boolean } {
  if (entry === undefined) return { entry: leaf, added: true };
  if (entry.kind === 'leaf') {
    if (entry.key === leaf.key) return { entry: leaf, added: false };
    return { entry: join(entry, leaf, depth), added: true };
  }
  if (entry.kind === 'bucket') {
    if (entry.hash !== leaf.hash) {
      // A bucket sits where hashes ran out of distinct bits only above MAX_DEPTH; split it like a leaf.
      const branch = withChild(EMPTY_BRANCH as Branch<V>, indexAt(entry.hash, depth), entry);
      return put(branch, leaf, depth);
    }
    const others = entry.leaves.filter((existing) => existing.key !== leaf.key);
    return { entry: { ...entry, leaves: [...others, leaf] }, added: others.length === entry.leaves.length };
  }
  const index = indexAt(leaf.hash, depth);
  const result = put(entry.children[index], leaf, depth + 1);
  return { entry: withChild(entry, index, result.entry), added: result.added };
}

export function storeSet<V>(store: SlotStore<V>, key: string, value: V): SlotStore<V> {
  const { entry, added } = put(store.root, { kind: 'leaf', hash: hashOf(key), key, value }, 0);
  return { size: store.size + (added ? 1 : 0), root: entry as Branch<V> };
}

function drop<V>(entry: Entry<V> | undefined, key: string, hash: number, depth: number): Entry<V> | undefined | null {
  // null: not found (nothing changes); undefined: the entry is gone.
  if (entry === undefined) return null;
  if (entry.kind === 'leaf') return entry.key === key ? undefined : null;
  if (entry.kind === 'bucket') {
    const leaves = entry.leaves.filter((leaf) => leaf.key !== key);
    if (leaves.length === entry.leaves.length) return null;
    return leaves.length === 1 ? leaves[0] : { ...entry, leaves };
  }
  const index = indexAt(hash, depth);
  const child = drop(entry.children[index], key, hash, depth + 1);
  if (child === null) return null;
  return withChild(entry, index, child);
}

export function storeDelete<V>(store: SlotStore<V>, key: string): SlotStore<V> {
  const root = drop(store.root, key, hashOf(key), 0);
  if (root === null) return store;
  return { size: store.size - 1, root: (root ?? EMPTY_BRANCH) as Branch<V> };
}

/** Every value, in no particular order. */
export function* storeValues<V>(store: SlotStore<V>): Generator<V> {
  const stack: Entry<V>[] = [store.root];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    if (entry.kind === 'leaf') yield entry.value;
    else if (entry.kind === 'bucket') for (const leaf of entry.leaves) yield leaf.value;
    else for (const child of entry.children) if (child !== undefined) stack.push(child);
  }
}
