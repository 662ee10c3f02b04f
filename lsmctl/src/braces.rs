//! Brace alternation in path patterns: `/usr/{bin,sbin}/x` stands for `/usr/bin/x` and
//! `/usr/sbin/x`. The kernel's matchers know `*`, `**` and `?` only, so alternations are
//! expanded here, before compilation; they may nest.

/// Most patterns one pattern may expand to.
pub const MAX_EXPANSIONS: usize = 1024;

/// Expands every `{a,b,...}` in `pattern`; a pattern without braces is returned as it is.
pub fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('{') else {
        if pattern.contains('}') {
            return Err(format!("{pattern:?}: `}}` without a matching `{{`"));
        }
        return Ok(vec![pattern.to_string()]);
    };
    // Find the matching close brace and the top-level commas between them.
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut close = None;
    for (i, c) in pattern.char_indices().skip_while(|&(i, _)| i < open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let close = close.ok_or_else(|| format!("{pattern:?}: `{{` without a matching `}}`"))?;
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let alternative = &pattern[w[0] + 1..w[1]];
        for rest in expand(&format!("{head}{alternative}{tail}"))? {
            if out.len() == MAX_EXPANSIONS {
                return Err(format!(
                    "{pattern:?} expands to more than {MAX_EXPANSIONS} patterns"
                ));
            }
            out.push(rest);
        }
    }
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn expands_alternatives_nested_and_repeated() {
        assert_eq!(expand("/a/b").unwrap(), vec!["/a/b"]);
        assert_eq!(
            expand("/usr/{bin,sbin}/x").unwrap(),
            vec!["/usr/bin/x", "/usr/sbin/x"]
        );
        assert_eq!(
            expand("/{a,b{1,2}}/{x,y}").unwrap(),
            vec!["/a/x", "/a/y", "/b1/x", "/b1/y", "/b2/x", "/b2/y"]
        );
        assert_eq!(expand("/x{,.bak}").unwrap(), vec!["/x", "/x.bak"]);
        assert_eq!(expand("/{**,*}/z").unwrap(), vec!["/**/z", "/*/z"]);
    }

    #[test]
    fn refuses_unbalanced_and_explosive_patterns() {
        assert!(expand("/a/{b,c").is_err());
        assert!(expand("/a/b}").is_err());
        let bomb = "/{a,b,c,d}".repeat(6); // 4096 expansions
        assert!(expand(&bomb).unwrap_err().contains("more than 1024"));
    }
}
