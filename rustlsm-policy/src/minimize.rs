//! Merges the states of a compiled automaton that no path can tell apart (Hopcroft's
//! partition refinement), so that rules sharing their tails share their states: 10,000
//! `/srv/treeN/subM/**` rules need a few hundred states, not 20,000.
//!
//! The input is complete: every state has a target for every class, 0 being the dead state.

/// A partition of the states into blocks, refined in place: the states of a block are
/// contiguous in `elems`, and a block's marked states come first.
struct Partition {
    elems: Vec<u32>,
    /// Where each state is in `elems`.
    loc: Vec<usize>,
    block_of: Vec<u32>,
    start: Vec<usize>,
    end: Vec<usize>,
    /// The end of a block's marked states.
    mid: Vec<usize>,
    touched: Vec<u32>,
}

impl Partition {
    /// One block per distinct key, in the order of the keys.
    fn by_key<K: Ord + Copy>(keys: &[K]) -> Self {
        let mut elems: Vec<u32> = (0..keys.len() as u32).collect();
        elems.sort_by_key(|&s| keys[s as usize]);
        let mut p = Partition {
            loc: vec![0; keys.len()],
            block_of: vec![0; keys.len()],
            start: Vec::new(),
            end: Vec::new(),
            mid: Vec::new(),
            touched: Vec::new(),
            elems,
        };
        for (i, &s) in p.elems.iter().enumerate() {
            if i == 0 || keys[s as usize] != keys[p.elems[i - 1] as usize] {
                if i > 0 {
                    p.end.push(i);
                }
                p.start.push(i);
                p.mid.push(i);
            }
            p.loc[s as usize] = i;
            p.block_of[s as usize] = (p.start.len() - 1) as u32;
        }
        p.end.push(p.elems.len());
        p
    }

    fn blocks(&self) -> usize {
        self.start.len()
    }

    fn states(&self, block: u32) -> &[u32] {
        let b = block as usize;
        &self.elems[self.start[b]..self.end[b]]
    }

    fn mark(&mut self, state: u32) {
        let b = self.block_of[state as usize] as usize;
        let i = self.loc[state as usize];
        let m = self.mid[b];
        if i < m {
            return;
        }
        if m == self.start[b] {
            self.touched.push(b as u32);
        }
        let other = self.elems[m];
        self.elems.swap(i, m);
        self.loc[other as usize] = i;
        self.loc[state as usize] = m;
        self.mid[b] = m + 1;
    }

    /// Splits every block with marked and unmarked states; the smaller part becomes a new
    /// block, whose number goes to `new_blocks`. Clears the marks.
    fn split(&mut self, new_blocks: &mut Vec<u32>) {
        for b in std::mem::take(&mut self.touched) {
            let b = b as usize;
            let (start, mid, end) = (self.start[b], self.mid[b], self.end[b]);
            self.mid[b] = start;
            if mid == end {
                continue;
            }
            let (lo, hi) = if mid - start <= end - mid {
                self.start[b] = mid;
                (start, mid)
            } else {
                self.end[b] = mid;
                (mid, end)
            };
            let z = self.start.len() as u32;
            self.start.push(lo);
            self.end.push(hi);
            self.mid.push(lo);
            self.mid[b] = self.start[b];
            for &s in &self.elems[lo..hi] {
                self.block_of[s as usize] = z;
            }
            new_blocks.push(z);
        }
    }
}

/// The coarsest partition of the states that keeps states with different `masks` apart and
/// that every class's transitions respect. `rows[s * width + c]` is the target of state `s`
/// on class `c`. Returns each state's block and the number of blocks; blocks are numbered in
/// the order of their smallest state, so the dead state's stays 0.
pub fn minimize(rows: &[u32], width: usize, masks: &[(u32, u32)]) -> (Vec<u32>, usize) {
    let n = masks.len();
    // Predecessors by (target, class): `preds[pred_at[k]..pred_at[k + 1]]` for key
    // k = target * width + class. Offsets are u32: the compiler caps states at 2^20 and
    // classes at 256.
    let mut pred_at = vec![0u32; n * width + 1];
    for (i, &t) in rows.iter().enumerate() {
        pred_at[t as usize * width + i % width] += 1;
    }
    for i in 1..pred_at.len() {
        pred_at[i] += pred_at[i - 1];
    }
    // `pred_at[k]` is now the end of key k's range; filling each range from its end leaves
    // it at the range's start (and the last entry, the total, stays the end of the last).
    let mut preds = vec![0u32; rows.len()];
    for (i, &t) in rows.iter().enumerate() {
        let key = t as usize * width + i % width;
        pred_at[key] -= 1;
        preds[pred_at[key] as usize] = (i / width) as u32;
    }
    let mut p = Partition::by_key(masks);
    // Hopcroft: every block waits to split the others by its predecessors; once a block has
    // split, its smaller part suffices (the larger's split is implied).
    let mut waiting: Vec<u32> = (0..p.blocks() as u32).collect();
    let mut is_waiting = vec![true; p.blocks()];
    let mut splitter = Vec::new();
    let mut new_blocks = Vec::new();
    while let Some(b) = waiting.pop() {
        is_waiting[b as usize] = false;
        splitter.clear();
        splitter.extend_from_slice(p.states(b));
        for class in 0..width {
            for &t in &splitter {
                let key = t as usize * width + class;
                for &s in &preds[pred_at[key] as usize..pred_at[key + 1] as usize] {
                    p.mark(s);
                }
            }
            p.split(&mut new_blocks);
            for z in new_blocks.drain(..) {
                is_waiting.push(true);
                waiting.push(z);
            }
        }
    }

    // Renumber by smallest state.
    let mut number = vec![u32::MAX; p.blocks()];
    let mut next = 0;
    let mut out = Vec::with_capacity(n);
    for s in 0..n {
        let b = p.block_of[s] as usize;
        if number[b] == u32::MAX {
            number[b] = next;
            next += 1;
        }
        out.push(number[b]);
    }
    (out, next as usize)
}
