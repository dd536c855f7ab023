//! The guest-facing configuration store: `wasi:config/store@0.2.0-draft-2024-09-27`, the
//! interface through which Spin hands a component its variables (`[component.cpm.variables]`
//! in spin.toml; the edge reads `admin_tokens` and `cors_origins`). Here the values come from
//! the command line (`--config key=value`, repeatable); a key not given is `none`, as Spin
//! answers for a variable the component does not declare.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::{HasData, Linker};

mod generated {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "cpm:test-host/config-host",
        imports: { default: trappable },
    });
}

use generated::wasi::config::store;

/// The configuration values, shared by every instance.
pub type Values = Arc<BTreeMap<String, String>>;

/// What one instance sees of the configuration.
pub struct ConfigView<'a> {
    /// The values.
    pub values: &'a BTreeMap<String, String>,
}

struct HasConfig;

impl HasData for HasConfig {
    type Data<'a> = ConfigView<'a>;
}

/// Adds `wasi:config/store` to `linker`, answering from the values `view` gives.
///
/// # Errors
/// When the linker already defines the interface.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> ConfigView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<T, HasConfig>(linker, view)
}

impl store::Host for ConfigView<'_> {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, store::Error>> {
        Ok(Ok(self.values.get(&key).cloned()))
    }

    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, store::Error>> {
        Ok(Ok(self
            .values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;
    use store::Host as _;

    #[test]
    fn values_are_answered_and_missing_keys_are_none() {
        let values: BTreeMap<String, String> =
            [("admin_tokens".to_owned(), "alice:x".to_owned())].into();
        let mut view = ConfigView { values: &values };
        assert_eq!(
            view.get("admin_tokens".into()).unwrap().unwrap().as_deref(),
            Some("alice:x")
        );
        assert_eq!(view.get("cors_origins".into()).unwrap().unwrap(), None);
        assert_eq!(view.get_all().unwrap().unwrap().len(), 1);
    }
}
