//! Keyframe tracks over every setting of the scene: a scene is read as the tree its file
//! format writes (a TOML table), each leaf of that tree is a track, and a keyframe is a partial
//! tree that sets some leaves at its time. A scene between keys is the initial tree with every
//! keyed leaf moved to its value then, read back through the scene file's loader (so the same
//! clamps and validation apply). A feature's settings are keyframeable, and recorded, as soon
//! as they are in the scene file: no per-setting code here.
//!
//! How a leaf moves ([`Motion`]) follows from its value: numbers linearly (scales —
//! [`GEOMETRIC`] — geometrically), arrays of numbers element by element (the probe, the
//! camera's centre), integers, booleans and names hold until the next key, except the
//! [`ROUNDED`] integers, which move linearly and round.

use std::collections::BTreeMap;

use toml::{Table, Value};

use crate::scene::Scene;

/// Settings that move geometrically between keys (positive scales: each step of a sweep
/// multiplies them by the same factor).
pub const GEOMETRIC: [&str; 6] = [
    "model.sigma1",
    "model.sigma2",
    "camera.half_height",
    "camera.x_per_y",
    "ellipse_scale",
    "geodesics.radius",
];

/// Integer settings that move between keys, rounded (the glyph density); every other integer
/// holds (a particle count, a ball's rays, a map's side: each change restarts its work).
pub const ROUNDED: [&str; 1] = ["grid"];

/// How one leaf moves from one key to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Motion {
    /// a·(1 − f) + b·f.
    Linear,
    /// a·(b/a)^f (linear where either end is not positive).
    Geometric,
    /// Linear, rounded to an integer.
    Rounded,
    /// The last key's value, from its time on.
    Hold,
}

/// How the leaf at `path` moves, from a value it takes (the initial scene's, or a key's).
pub fn motion(path: &str, value: &Value) -> Motion {
    let numbers = match value {
        Value::Float(_) => true,
        Value::Array(items) => !items.is_empty() && items.iter().all(is_number),
        _ => false,
    };
    if ROUNDED.contains(&path) && is_number(value) {
        Motion::Rounded
    } else if numbers && GEOMETRIC.contains(&path) {
        Motion::Geometric
    } else if numbers {
        Motion::Linear
    } else {
        Motion::Hold
    }
}

fn is_number(value: &Value) -> bool {
    matches!(value, Value::Float(_) | Value::Integer(_))
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Float(x) => Some(*x),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// The scene as the tree its file format writes.
pub fn scene_tree(scene: &Scene) -> Table {
    match Value::try_from(scene) {
        Ok(Value::Table(table)) => table,
        // A scene always serialises to a table (its save writes one).
        other => unreachable!("a scene serialises to a table, got {other:?}"),
    }
}

/// The scene of `tree`, through the scene file's loader (its clamps and validation).
pub fn tree_scene(tree: Table) -> Result<Scene, String> {
    let scene: Scene = Value::Table(tree).try_into().map_err(|e| e.to_string())?;
    scene.validate().map_err(|e| e.to_string())?;
    Ok(scene)
}

/// Every leaf of `tree` by its dotted path (`flow.particles`, `camera.center`); arrays are
/// leaves.
pub fn leaves(tree: &Table) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, table: &Table, out: &mut BTreeMap<String, Value>) {
        for (key, value) in table {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                Value::Table(inner) => walk(&path, inner, out),
                leaf => {
                    out.insert(path, leaf.clone());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", tree, &mut out);
    out
}

/// The leaf at `path`, if there is one.
pub fn get<'t>(tree: &'t Table, path: &str) -> Option<&'t Value> {
    let mut parts = path.split('.');
    let mut value = tree.get(parts.next()?)?;
    for part in parts {
        value = value.as_table()?.get(part)?;
    }
    Some(value)
}

/// Sets the leaf at `path` (making its tables), or removes it with `None`.
pub fn set(tree: &mut Table, path: &str, value: Option<Value>) {
    let (parents, leaf) = match path.rsplit_once('.') {
        Some((parents, leaf)) => (Some(parents), leaf),
        None => (None, path),
    };
    let mut table = tree;
    for part in parents.into_iter().flat_map(|p| p.split('.')) {
        let entry = table
            .entry(part.to_owned())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        table = entry.as_table_mut().expect("made a table just above");
    }
    match value {
        Some(v) => {
            table.insert(leaf.to_owned(), v);
        }
        None => {
            table.remove(leaf);
        }
    }
}

/// A scenario's tracks: the initial tree and, for every leaf a key sets, its track. Built
/// once, asked for any time (a capture asks for every frame's).
#[derive(Clone, Debug)]
pub struct Tracks {
    initial: Table,
    tracks: BTreeMap<String, Track>,
}

/// One keyed leaf: its initial value (if the initial tree has it), how it moves, and its keys
/// in time order.
#[derive(Clone, Debug)]
struct Track {
    start: Option<Value>,
    motion: Motion,
    sets: Vec<(f64, Value)>,
}

impl Tracks {
    /// The tracks of `initial` through `keys` (each a time and a partial tree, in time order).
    pub fn new(initial: Table, keys: &[(f64, Table)]) -> Self {
        let mut keyed: BTreeMap<String, Vec<(f64, Value)>> = BTreeMap::new();
        for (time, key) in keys {
            for (path, value) in leaves(key) {
                keyed.entry(path).or_default().push((*time, value));
            }
        }
        let tracks = keyed
            .into_iter()
            .map(|(path, sets)| {
                let start = get(&initial, &path).cloned();
                // Every keyed leaf has a key, so a reference value.
                let reference = start.as_ref().unwrap_or(&sets[0].1);
                let motion = motion(&path, reference);
                (
                    path,
                    Track {
                        start,
                        motion,
                        sets,
                    },
                )
            })
            .collect();
        Self { initial, tracks }
    }

    /// The tree at time `t`: the initial one with every keyed leaf moved to its value then. A
    /// leaf the initial tree lacks (the probe of a scene without one) is absent until its first
    /// key.
    pub fn tree_at(&self, t: f64) -> Table {
        let mut tree = self.initial.clone();
        for (path, track) in &self.tracks {
            set(&mut tree, path, track.at(t));
        }
        tree
    }
}

impl Track {
    /// The leaf's value at `t`: from its start (the initial value at time 0, if any) through
    /// its keys.
    fn at(&self, t: f64) -> Option<Value> {
        let sets = &self.sets;
        if self.motion == Motion::Hold {
            // The last key at or before t.
            let done = sets.partition_point(|(time, _)| *time <= t);
            return match done {
                0 => self.start.clone(),
                n => Some(sets[n - 1].1.clone()),
            };
        }
        // The first key at or after t, and what came before it.
        let next = sets.partition_point(|(time, _)| *time < t);
        let Some((time, value)) = sets.get(next) else {
            return sets.last().map(|(_, v)| v.clone());
        };
        let before = match next {
            0 => self.start.as_ref().map(|v| (0.0, v)),
            n => Some((sets[n - 1].0, &sets[n - 1].1)),
        };
        let Some((t0, from)) = before else {
            // No value before the first key: absent until it.
            return (*time <= t).then(|| value.clone());
        };
        let span = time - t0;
        let f = if span > 0.0 { (t - t0) / span } else { 1.0 };
        Some(mix(self.motion, from, value, f.clamp(0.0, 1.0)))
    }
}

/// `a` moved toward `b` by the fraction `f`, keeping `a`'s number type (an integer setting
/// stays an integer, a float one a float, whatever the key wrote).
fn mix(motion: Motion, a: &Value, b: &Value, f: f64) -> Value {
    let scalar = |a: &Value, b: &Value| -> Value {
        let (Some(x), Some(y)) = (number(a), number(b)) else {
            // Not two numbers (a key that changed the leaf's kind): a switch at the key.
            return if f >= 1.0 { b.clone() } else { a.clone() };
        };
        let v = match motion {
            Motion::Geometric => geometric(x, y, f),
            _ => linear(x, y, f),
        };
        match a {
            Value::Integer(_) => Value::Integer(v.round() as i64),
            _ if motion == Motion::Rounded => Value::Integer(v.round() as i64),
            _ => Value::Float(v),
        }
    };
    match (a, b) {
        (Value::Array(xs), Value::Array(ys)) if xs.len() == ys.len() => {
            Value::Array(xs.iter().zip(ys).map(|(x, y)| scalar(x, y)).collect())
        }
        _ => scalar(a, b),
    }
}

/// a·(1 − f) + b·f: exact at both ends, so a keyframe's value is hit exactly at its time, and
/// exactly a between equal ends (so a held π = ½ stays the seed's and keeps the seed kernel).
pub fn linear(a: f64, b: f64, f: f64) -> f64 {
    if a == b { a } else { a * (1.0 - f) + b * f }
}

/// a·(b/a)^f for two positive ends (linear otherwise), exactly a between equal ends.
pub fn geometric(a: f64, b: f64, f: f64) -> f64 {
    if a == b {
        a
    } else if a > 0.0 && b > 0.0 {
        a * (b / a).powf(f)
    } else {
        linear(a, b, f)
    }
}

/// The keyframes that replay `snapshots` (times and scenes, in time order) from the first:
/// each key sets only the leaves that changed since the snapshot before it, and a leaf that
/// starts to change after a still spell is first keyed at its old value at the previous
/// snapshot (so it does not creep across the spell). A leaf that disappears (a probe cleared)
/// is not keyed: a key cannot remove a setting.
pub fn recorded_keys(snapshots: &[(f64, Scene)]) -> Vec<(f64, Table)> {
    let mut keys: Vec<(f64, Table)> = Vec::new();
    let Some((_, first)) = snapshots.first() else {
        return keys;
    };
    let mut previous = (0.0, leaves(&scene_tree(first)));
    // The time of each leaf's latest key (the initial scene counts as keyed at time 0).
    let mut keyed_at: BTreeMap<String, f64> = previous.1.keys().map(|p| (p.clone(), 0.0)).collect();
    for (time, scene) in &snapshots[1..] {
        let now = leaves(&scene_tree(scene));
        for (path, value) in &now {
            let before = previous.1.get(path);
            if before == Some(value) {
                continue;
            }
            if let Some(old) = before
                && keyed_at.get(path) != Some(&previous.0)
            {
                set(key_at(&mut keys, previous.0), path, Some(old.clone()));
            }
            set(key_at(&mut keys, *time), path, Some(value.clone()));
            keyed_at.insert(path.clone(), *time);
        }
        previous = (*time, now);
    }
    keys
}

/// The key at `time` in `keys` (in time order), made where there is none.
fn key_at(keys: &mut Vec<(f64, Table)>, time: f64) -> &mut Table {
    let at = keys.partition_point(|(t, _)| *t < time);
    if keys.get(at).is_none_or(|(t, _)| *t != time) {
        keys.insert(at, (time, Table::new()));
    }
    &mut keys[at].1
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::scene::SceneEdit;

    fn tree_at(initial: &Table, keys: &[(f64, Table)], t: f64) -> Table {
        Tracks::new(initial.clone(), keys).tree_at(t)
    }

    fn table(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn leaves_move_by_their_kind() {
        let initial = table(
            "grid = 20\nellipse_scale = 1.0\ndamping = 0.0\nheatmap = \"none\"\n\
             [flow]\nparticles = 100\n[camera]\ncenter = [0.0, 0.0]\n",
        );
        let keys = vec![(
            2.0,
            table(
                "grid = 40\nellipse_scale = 4.0\ndamping = 1\nheatmap = \"loss\"\n\
                 probe = [1.0, 2.0]\n[flow]\nparticles = 900\n[camera]\ncenter = [2.0, -2.0]\n",
            ),
        )];
        let half = tree_at(&initial, &keys, 1.0);
        assert_eq!(get(&half, "grid"), Some(&Value::Integer(30)), "rounded");
        assert_eq!(
            get(&half, "ellipse_scale"),
            Some(&Value::Float(2.0)),
            "geometric"
        );
        // A float setting keyed with an integer stays a float.
        assert_eq!(get(&half, "damping"), Some(&Value::Float(0.5)));
        assert_eq!(get(&half, "heatmap"), Some(&Value::String("none".into())));
        assert_eq!(
            get(&half, "flow.particles"),
            Some(&Value::Integer(100)),
            "held"
        );
        assert_eq!(
            get(&half, "camera.center"),
            Some(&Value::Array(vec![Value::Float(1.0), Value::Float(-1.0)]))
        );
        assert_eq!(get(&half, "probe"), None, "absent until its first key");
        let end = tree_at(&initial, &keys, 2.0);
        assert_eq!(get(&end, "heatmap"), Some(&Value::String("loss".into())));
        assert_eq!(get(&end, "flow.particles"), Some(&Value::Integer(900)));
        assert_eq!(
            get(&end, "probe"),
            Some(&Value::Array(vec![Value::Float(1.0), Value::Float(2.0)]))
        );
    }

    /// A recording keys what changed, each leaf from where it stood: the race switched on at
    /// 1 s and the target moved from 2 s to 3 s replay at those times.
    #[test]
    fn recorded_keys_replay_the_snapshots() {
        let first = Scene::default();
        let mut raced = first.clone();
        let mut race = raced.features.race;
        race.enabled = true;
        raced.apply(SceneEdit::feature(race));
        let mut moved = raced.clone();
        moved.apply(SceneEdit::SetTarget([0.5, 0.5]));
        let snapshots = vec![
            (0.0, first.clone()),
            (1.0, raced.clone()),
            (2.0, raced.clone()),
            (3.0, moved.clone()),
        ];
        let keys = recorded_keys(&snapshots);
        let initial = scene_tree(&first);
        let at = |t| tree_scene(tree_at(&initial, &keys, t)).unwrap();
        assert!(!at(0.5).features.race.enabled && at(1.0).features.race.enabled);
        assert_eq!(at(2.0).target(), first.target(), "still until 2 s");
        assert_eq!(at(3.0).target(), [0.5, 0.5]);
        let halfway = at(2.5).target();
        let expected = [
            0.5 * (first.target()[0] + 0.5),
            0.5 * (first.target()[1] + 0.5),
        ];
        assert!(
            (halfway[0] - expected[0]).abs() < 1e-12 && (halfway[1] - expected[1]).abs() < 1e-12,
            "{halfway:?}"
        );
        // Only what changed is keyed.
        let keyed: BTreeSet<String> = keys
            .iter()
            .flat_map(|(_, k)| leaves(k).into_keys())
            .collect();
        assert!(keyed.contains("race.enabled") && keyed.contains("model.mu1"));
        assert!(
            !keyed.contains("grid") && !keyed.contains("camera.half_height"),
            "{keyed:?}"
        );
    }
}
