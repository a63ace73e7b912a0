//! Object classes of the image formats, numbered as Label Studio's converter numbers them
//! (`_get_labels`): labels whose `category` attribute is an integer keep it; the others, sorted
//! by name, take the lowest free ids; labels met only in results are appended as they come.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use tessera_labelconfig::LabelConfig;

/// One class.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub id: i64,
    pub name: String,
}

/// The classes of an export, growing as results name new labels.
#[derive(Debug, Default)]
pub struct Categories {
    pub list: Vec<Category>,
    ids: HashMap<String, i64>,
}

impl Categories {
    /// The classes every label of every control of `config` starts with.
    pub fn of_config(config: &LabelConfig) -> Categories {
        let mut categories = Categories::default();
        let mut labels = BTreeSet::new();
        for control in config.controls.values() {
            labels.extend(control.labels.iter().cloned());
            for (label, attrs) in &control.labels_attrs {
                let Some(id) = attrs
                    .get("category")
                    .and_then(|raw| raw.trim().parse::<i64>().ok())
                else {
                    continue;
                };
                categories.list.push(Category {
                    id,
                    name: label.clone(),
                });
                categories.ids.insert(label.clone(), id);
            }
        }
        let used: HashSet<i64> = categories.ids.values().copied().collect();
        let mut free = (0..).filter(|id| !used.contains(id));
        for label in labels {
            if categories.ids.contains_key(&label) {
                continue;
            }
            let id = free.next().expect("the ids never run out");
            categories.list.push(Category {
                id,
                name: label.clone(),
            });
            categories.ids.insert(label, id);
        }
        categories
    }

    /// Classes from explicit `(id, name)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (i64, String)>) -> Categories {
        let mut categories = Categories::default();
        for (id, name) in pairs {
            categories.ids.insert(name.clone(), id);
            categories.list.push(Category { id, name });
        }
        categories
    }

    /// The id of a label, appending it (id = the number of classes so far) when it is new.
    pub fn id_of(&mut self, name: &str) -> i64 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.list.len() as i64;
        self.list.push(Category {
            id,
            name: name.to_string(),
        });
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The id of a label, without adding it.
    pub fn get(&self, name: &str) -> Option<i64> {
        self.ids.get(name).copied()
    }

    /// Maps a label to an existing id.
    pub fn alias(&mut self, name: &str, id: i64) {
        self.ids.insert(name.to_string(), id);
    }

    /// Adds a class no label maps to (COCO's merged keypoint class).
    pub fn push_unmapped(&mut self, id: i64, name: &str) {
        self.list.push(Category {
            id,
            name: name.to_string(),
        });
    }

    /// Drops the classes named in `names` (and their mappings).
    pub fn remove_named(&mut self, names: &[String]) {
        self.list.retain(|c| !names.contains(&c.name));
        self.ids.retain(|name, _| !names.contains(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_ids_first_then_sorted_labels_in_free_ids() {
        let config = LabelConfig::parse(
            r#"<View><Image name="i" value="$i"/><RectangleLabels name="b" toName="i"><Label value="Zebra"/><Label value="Cat" category="1"/><Label value="Ant"/></RectangleLabels></View>"#,
        )
        .unwrap();
        let mut categories = Categories::of_config(&config);
        let pairs: Vec<(i64, &str)> = categories
            .list
            .iter()
            .map(|c| (c.id, c.name.as_str()))
            .collect();
        assert_eq!(pairs, [(1, "Cat"), (0, "Ant"), (2, "Zebra")]);
        assert_eq!(categories.id_of("Dog"), 3);
        assert_eq!(categories.id_of("Cat"), 1);
    }
}
