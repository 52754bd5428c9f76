//! Two sequences sorted by name, walked side by side: the union of their names in order, each with
//! what either side holds under it, without a set built to find it.

use std::cmp::Ordering;
use std::iter::Peekable;

/// Every name of either sequence once, in order, with its item on each side. Both sequences must
/// be sorted by name, each name at most once (an object's keys, an entity's references).
pub(crate) fn by_name<'n, A, B>(
    a: impl Iterator<Item = (&'n str, A)>,
    b: impl Iterator<Item = (&'n str, B)>,
) -> impl Iterator<Item = (&'n str, Option<A>, Option<B>)> {
    let mut a: Peekable<_> = a.peekable();
    let mut b: Peekable<_> = b.peekable();
    std::iter::from_fn(move || {
        let order = match (a.peek(), b.peek()) {
            (None, None) => return None,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((x, _)), Some((y, _))) => x.cmp(y),
        };
        Some(match order {
            Ordering::Less => a.next().map(|(k, v)| (k, Some(v), None))?,
            Ordering::Greater => b.next().map(|(k, v)| (k, None, Some(v)))?,
            Ordering::Equal => {
                let (k, x) = a.next()?;
                let (_, y) = b.next()?;
                (k, Some(x), Some(y))
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_once_in_order_with_both_sides() {
        let a = [("a", 1), ("c", 3), ("d", 4)];
        let b = [("b", 20), ("c", 30), ("e", 50)];
        let merged: Vec<_> = by_name(a.into_iter(), b.into_iter()).collect();
        assert_eq!(
            merged,
            [
                ("a", Some(1), None),
                ("b", None, Some(20)),
                ("c", Some(3), Some(30)),
                ("d", Some(4), None),
                ("e", None, Some(50)),
            ]
        );
        assert_eq!(by_name(a.into_iter(), std::iter::empty::<(&str, ())>()).count(), 3);
    }
}
