//! SMILES strings as molecules: atoms with the features a chemist's GNN uses, bonds with their
//! type. The `purr` crate reads the string (OpenSMILES); this module checks what it cannot
//! (valences, aromatic atoms outside rings) and derives hydrogens, degrees and ring membership.

use purr::feature::{AtomKind, BondKind, BracketSymbol};
use purr::graph::{Builder, Error as GraphError};
use purr::read::{Error as ReadError, Trace, read};
use std::fmt;

/// A molecule read from SMILES. Stereo marks (`@`, `/`, `\`) and isotopes are read and
/// dropped: the features below do not depend on them.
#[derive(Clone, Debug, PartialEq)]
pub struct Molecule {
    pub atoms: Vec<Atom>,
    /// Each bond once.
    pub bonds: Vec<Bond>,
}

/// One heavy atom (hydrogens are counted on their atom, not made nodes).
#[derive(Clone, Debug, PartialEq)]
pub struct Atom {
    /// The element's symbol, capitalised (`C` for both `C` and `c`); `*` for a wildcard.
    pub symbol: String,
    /// Written aromatic (`c`, `[nH]`).
    pub aromatic: bool,
    /// Formal charge.
    pub charge: i8,
    /// Attached hydrogens: implicit for the organic subset, as written in brackets.
    pub hydrogens: u8,
    /// Bonded heavy atoms.
    pub degree: u8,
    /// Whether the atom is part of a ring.
    pub in_ring: bool,
}

/// A bond between two atoms (indices into [`Molecule::atoms`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Bond {
    pub atoms: [u32; 2],
    pub order: BondOrder,
}

/// The bond types a model sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BondOrder {
    Single,
    Double,
    Triple,
    Aromatic,
}

impl BondOrder {
    /// All of them, in the order of their one-hot features.
    pub const ALL: [BondOrder; 4] = [
        BondOrder::Single,
        BondOrder::Double,
        BondOrder::Triple,
        BondOrder::Aromatic,
    ];

    /// The bond's name as a chemist says it.
    pub fn name(self) -> &'static str {
        match self {
            BondOrder::Single => "single",
            BondOrder::Double => "double",
            BondOrder::Triple => "triple",
            BondOrder::Aromatic => "aromatic",
        }
    }
}

/// Why a string is not a molecule, and where (a 1-based character position).
#[derive(Clone, Debug, PartialEq)]
pub struct SmilesError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for SmilesError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} (character {})", self.message, self.position)
    }
}

/// Reads `smiles` as a molecule.
pub fn parse(smiles: &str) -> Result<Molecule, SmilesError> {
    // purr reports byte offsets; the user counts characters.
    let position = |byte: usize| smiles[..byte.min(smiles.len())].chars().count() + 1;
    let error = |byte: usize, message: String| SmilesError {
        position: position(byte),
        message,
    };
    if smiles.trim().is_empty() {
        return Err(error(0, "an empty SMILES string".into()));
    }
    // purr panics on some chirality classes (`@TB1`, `@SP2`) next to ring bonds; stereo is
    // dropped anyway, so it reads the string without its chirality marks. `original[i]` is the
    // byte of `smiles` that byte `i` of `read_from` came from.
    let (read_from, original) = without_chirality(smiles);
    let error = |byte: usize, message: String| {
        let byte = original.get(byte).copied().unwrap_or(smiles.len());
        error(byte, message)
    };
    let mut builder = Builder::new();
    let mut trace = Trace::new();
    read(&read_from, &mut builder, Some(&mut trace)).map_err(|e| match e {
        ReadError::EndOfLine => error(read_from.len(), "the string ends too early".into()),
        ReadError::Character(at) => {
            let found = read_from[at.min(read_from.len())..]
                .chars()
                .next()
                .unwrap_or(' ');
            error(at, format!("unexpected '{found}'"))
        }
    })?;
    let atoms = builder.build().map_err(|e| match e {
        GraphError::Rnum(ring) => error(
            trace.rnum(ring).map_or(0, |r| r.start),
            "a ring bond is opened and never closed".into(),
        ),
        GraphError::Join(a, b) => error(
            trace.bond(a, b).unwrap_or(0),
            "the two ends of a ring bond disagree on its type".into(),
        ),
    })?;
    let at_atom = |id: usize| trace.atom(id).map_or(0, |r| r.start);

    let mut bonds = Vec::new();
    for (a, atom) in atoms.iter().enumerate() {
        for bond in &atom.bonds {
            if bond.tid == a {
                return Err(error(at_atom(a), "an atom bonded to itself".into()));
            }
            if bond.tid < a {
                continue;
            }
            let order = match bond.kind {
                BondKind::Double => BondOrder::Double,
                BondKind::Triple => BondOrder::Triple,
                BondKind::Quadruple => {
                    return Err(error(
                        trace.bond(a, bond.tid).unwrap_or(0),
                        "quadruple bonds are not supported".into(),
                    ));
                }
                BondKind::Aromatic => BondOrder::Aromatic,
                // An unwritten bond between two aromatic atoms is aromatic (OpenSMILES).
                BondKind::Elided if atom.is_aromatic() && atoms[bond.tid].is_aromatic() => {
                    BondOrder::Aromatic
                }
                BondKind::Elided | BondKind::Single | BondKind::Up | BondKind::Down => {
                    BondOrder::Single
                }
            };
            bonds.push(Bond {
                atoms: [a as u32, bond.tid as u32],
                order,
            });
        }
    }
    let repeated = bonds
        .iter()
        .enumerate()
        .find(|(i, b)| bonds[..*i].iter().any(|c| c.atoms == b.atoms));
    if let Some((_, bond)) = repeated {
        let at = trace.bond(bond.atoms[1] as usize, bond.atoms[0] as usize);
        return Err(error(at.unwrap_or(0), "two atoms bonded twice".into()));
    }

    let ring_bonds = ring_bonds(atoms.len(), &bonds);
    let mut molecule = Molecule {
        atoms: Vec::with_capacity(atoms.len()),
        bonds,
    };
    for (id, atom) in atoms.iter().enumerate() {
        let (symbol, charge) = match &atom.kind {
            AtomKind::Star => ("*".to_string(), 0),
            AtomKind::Aliphatic(a) => (a.to_string(), 0),
            AtomKind::Aromatic(a) => (capitalised(&a.to_string()), 0),
            AtomKind::Bracket { symbol, charge, .. } => (
                match symbol {
                    BracketSymbol::Star => "*".to_string(),
                    BracketSymbol::Element(e) => e.to_string(),
                    BracketSymbol::Aromatic(a) => capitalised(&a.to_string()),
                },
                charge.as_ref().map_or(0, |c| c.into()),
            ),
        };
        let valence: u8 = atom
            .bonds
            .iter()
            .map(|b| b.order())
            .sum::<u8>()
            .saturating_add(match &atom.kind {
                AtomKind::Bracket {
                    hcount: Some(h), ..
                } => h.into(),
                _ => 0,
            });
        let targets = atom.kind.targets();
        if !targets.is_empty() && targets.iter().all(|&t| t < valence) {
            return Err(error(
                at_atom(id),
                format!("{symbol} has {valence} bonds, more than its valence allows"),
            ));
        }
        let in_ring = molecule
            .bonds
            .iter()
            .zip(&ring_bonds)
            .any(|(b, &ring)| ring && b.atoms.contains(&(id as u32)));
        if atom.is_aromatic() && !in_ring {
            return Err(error(
                at_atom(id),
                format!("an aromatic {symbol} outside any ring"),
            ));
        }
        molecule.atoms.push(Atom {
            symbol,
            aromatic: atom.is_aromatic(),
            charge,
            hydrogens: atom.suppressed_hydrogens(),
            degree: atom.bonds.len() as u8,
            in_ring,
        });
    }
    Ok(molecule)
}

/// `smiles` without the chirality marks of its bracket atoms (`@`, `@@`, `@TH1`, `@AL2`,
/// `@SP3`, `@TB12`, `@OH25`), and for each byte kept, its position in `smiles` (one more entry
/// for the end).
fn without_chirality(smiles: &str) -> (String, Vec<usize>) {
    let bytes = smiles.as_bytes();
    let (mut kept, mut original) = (String::with_capacity(smiles.len()), Vec::new());
    let mut in_bracket = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => in_bracket = true,
            b']' => in_bracket = false,
            b'@' if in_bracket => {
                i += 1;
                if bytes.get(i) == Some(&b'@') {
                    i += 1;
                } else if bytes.len() >= i + 2
                    && [&b"TH"[..], b"AL", b"SP", b"TB", b"OH"].contains(&&bytes[i..i + 2])
                {
                    i += 2;
                    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                }
                continue;
            }
            _ => {}
        }
        let width = smiles[i..].chars().next().map_or(1, char::len_utf8);
        kept.push_str(&smiles[i..i + width]);
        original.extend(i..i + width);
        i += width;
    }
    original.push(smiles.len());
    (kept, original)
}

fn capitalised(symbol: &str) -> String {
    let mut chars = symbol.chars();
    chars.next().map_or(String::new(), |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

/// Which bonds lie on a ring: those that are not bridges (Tarjan's lowlink, iteratively so
/// that a long chain cannot overflow the stack).
fn ring_bonds(atoms: usize, bonds: &[Bond]) -> Vec<bool> {
    let mut neighbours = vec![Vec::new(); atoms];
    for (i, b) in bonds.iter().enumerate() {
        neighbours[b.atoms[0] as usize].push((b.atoms[1] as usize, i));
        neighbours[b.atoms[1] as usize].push((b.atoms[0] as usize, i));
    }
    let mut order = vec![usize::MAX; atoms];
    let mut low = vec![0; atoms];
    let mut ring = vec![true; bonds.len()];
    let mut counter = 0;
    for root in 0..atoms {
        if order[root] != usize::MAX {
            continue;
        }
        order[root] = counter;
        low[root] = counter;
        counter += 1;
        // (atom, the bond it was reached by, next neighbour to look at)
        let mut stack = vec![(root, usize::MAX, 0)];
        while let Some(&mut (atom, via, ref mut next)) = stack.last_mut() {
            if let Some(&(other, bond)) = neighbours[atom].get(*next) {
                *next += 1;
                if bond == via {
                    continue;
                }
                if order[other] == usize::MAX {
                    order[other] = counter;
                    low[other] = counter;
                    counter += 1;
                    stack.push((other, bond, 0));
                } else {
                    low[atom] = low[atom].min(order[other]);
                }
            } else {
                stack.pop();
                if let Some(&(parent, _, _)) = stack.last() {
                    low[parent] = low[parent].min(low[atom]);
                    if low[atom] > order[parent] {
                        ring[via] = false;
                    }
                }
            }
        }
    }
    ring
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols(m: &Molecule) -> String {
        m.atoms.iter().map(|a| a.symbol.as_str()).collect()
    }

    #[test]
    fn ethanol_has_implicit_hydrogens_and_no_ring() {
        let m = parse("CCO").unwrap();
        assert_eq!(symbols(&m), "CCO");
        let h: Vec<u8> = m.atoms.iter().map(|a| a.hydrogens).collect();
        assert_eq!(h, [3, 2, 1]);
        assert!(m.atoms.iter().all(|a| !a.in_ring && !a.aromatic));
        assert_eq!(m.bonds.len(), 2);
    }

    #[test]
    fn aromatic_ring_bonds_are_aromatic_and_in_a_ring() {
        let m = parse("c1ccccc1O").unwrap();
        assert_eq!(m.atoms.len(), 7);
        assert_eq!(
            m.bonds
                .iter()
                .filter(|b| b.order == BondOrder::Aromatic)
                .count(),
            6
        );
        assert!(m.atoms[..6].iter().all(|a| a.aromatic && a.in_ring));
        assert_eq!(m.atoms[6].symbol, "O");
        assert!(!m.atoms[6].in_ring);
        // Benzene's ring carbons carry one hydrogen, the substituted one none.
        assert_eq!(m.atoms[1].hydrogens, 1);
        assert_eq!(m.atoms[5].hydrogens, 0);
        assert_eq!(m.atoms[5].degree, 3);
    }

    #[test]
    fn brackets_charges_and_explicit_hydrogens() {
        let m = parse("C[N+](C)(C)C.[Cl-]").unwrap();
        assert_eq!(m.atoms[1].symbol, "N");
        assert_eq!(m.atoms[1].charge, 1);
        assert_eq!(m.atoms[1].hydrogens, 0);
        assert_eq!(m.atoms[5].symbol, "Cl");
        assert_eq!(m.atoms[5].charge, -1);
        let pyrrole = parse("c1cc[nH]c1").unwrap();
        assert_eq!(pyrrole.atoms[3].symbol, "N");
        assert_eq!(pyrrole.atoms[3].hydrogens, 1);
        assert!(pyrrole.atoms[3].aromatic);
        assert_eq!(parse("[O-2]").unwrap().atoms[0].charge, -2);
    }

    #[test]
    fn stereo_marks_are_read_and_ignored() {
        let plain = parse("FC=CF").unwrap();
        assert_eq!(parse("F/C=C/F").unwrap(), plain);
        let chiral = parse("N[C@@H](C)C(=O)O").unwrap();
        assert_eq!(chiral, parse("N[CH](C)C(=O)O").unwrap());
    }

    #[test]
    fn ring_closures_above_nine_and_disconnected_parts() {
        let m = parse("C%10CCCCC%10").unwrap();
        assert_eq!(m.bonds.len(), 6);
        assert!(m.atoms.iter().all(|a| a.in_ring && a.degree == 2));
        let salt = parse("[Na+].[Cl-]").unwrap();
        assert_eq!(salt.atoms.len(), 2);
        assert!(salt.bonds.is_empty());
        // A fused system: the shared bond is in a ring, the chain's is not.
        let m = parse("c1ccc2ccccc2c1CC").unwrap();
        assert!(m.atoms[..10].iter().all(|a| a.in_ring));
        assert!(!m.atoms[10].in_ring && !m.atoms[11].in_ring);
        let double = parse("C1CC=1").unwrap();
        assert!(double.bonds.iter().any(|b| b.order == BondOrder::Double));
    }

    #[test]
    fn bad_strings_are_refused_with_their_position() {
        let refused = |s: &str| parse(s).unwrap_err();
        assert_eq!(refused("CC(C").position, 5);
        let e = refused("CCX");
        assert_eq!(e.position, 3);
        assert!(e.message.contains('X'), "{e}");
        let e = refused("C1CC");
        assert_eq!(e.position, 2);
        assert!(e.message.contains("never closed"), "{e}");
        let e = refused("CC(C)(C)(C)C");
        assert!(e.message.contains("valence"), "{e}");
        assert_eq!(e.position, 2);
        let e = refused("ccO");
        assert!(e.message.contains("outside any ring"), "{e}");
        assert_eq!(refused("").position, 1);
        let e = refused("C=1CC-1");
        assert!(e.message.contains("disagree"), "{e}");
        assert_eq!(refused("C[N").position, 4);
        assert!(refused("C12CCC12").message.contains("twice"));
        // After a chirality mark, positions are still the string's own.
        assert_eq!(refused("[C@@H](F)X").position, 10);
        // Positions count characters, not bytes.
        assert_eq!(refused("CCé").position, 3);
    }

    #[test]
    fn chirality_classes_and_random_strings_never_panic() {
        for s in [
            "F[C@TB1H]1CC1",
            "C1C[C@SP1H]1",
            "[C@OH1H]1CC1",
            "N1C[C@TB5H]1C",
            "C1C[C@TB3H]1F",
        ] {
            assert!(parse(s).is_ok(), "{s}: {:?}", parse(s));
        }
        // Pieces of SMILES strung together at random: every string is read or refused.
        let pieces = [
            "C", "c", "N", "n", "O", "(", ")", "1", "2", "%10", "=", "#", "[C@H]", "[C@@H]",
            "[nH]", "[N+]", "[O-]", ".", "/", "\\", "[C@TB1H]", "[C@SP2]", "Cl", "Br", "[", "]",
            "@", "H", "é", "*", "[2H]", "[Fe+3]", ":", "-",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 16) as usize;
            let s: String = (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            if let Err(e) = parse(&s) {
                assert!(
                    e.position >= 1 && e.position <= s.chars().count() + 1,
                    "{s}: {e}"
                );
            }
        }
    }
}
