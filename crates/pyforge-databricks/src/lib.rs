//! Everything of PyForge that knows about Databricks and remote storage.
//!
//! `pyforge-core` converts local files; this crate brings remote inputs to local paths and
//! local outputs to their remote place:
//!
//! - [`location`]: what a path names (`dbfs:/Volumes/...`, `/Volumes/...`, `/dbfs/Volumes/...`,
//!   `s3://`, `abfss://`, `gs://`, `file://`, plain paths);
//! - [`env`]: where we run (classic or serverless compute, environment version, `/Volumes` mount);
//! - [`config`] and [`auth`]: the workspace and its credentials, resolved like the official SDKs
//!   (environment variables, `~/.databrickscfg` profiles; PAT or OAuth M2M);
//! - [`files_api`]: the Files API 2.0 (streamed, resumable downloads; streamed uploads;
//!   listing with paging; directories), with retries ([`http`]);
//! - [`volumes`]: the Unity Catalog volumes API;
//! - [`store`]: one interface ([`store::RemoteStore`]) over Volumes and cloud buckets;
//! - [`cloud`] (feature `cloud`): `s3://`, `abfss://` and `gs://` through `object_store`;
//! - [`stage`]: the local staging folder for remote inputs and outputs;
//! - [`run`]: `convert`, `info` and `validate` runs whose paths may be remote (staged, converted
//!   by `pyforge_core::run`, uploaded), the typed API the command and the Python module call;
//! - [`volume_files`]: reading, writing and listing Volume files for in-process callers.
//!
//! Secrets (tokens, client secrets) are held in [`config::Secret`], which never prints its value:
//! not in `Debug`, errors or logs.

pub mod auth;
#[cfg(feature = "cloud")]
pub mod cloud;
pub mod config;
pub mod env;
pub mod error;
pub mod files_api;
pub mod http;
pub mod location;
pub mod run;
pub mod stage;
pub mod store;
pub mod stores;
pub mod volume_files;
pub mod volumes;

pub use error::{Error, Result};
pub use location::{Location, VolumePath};
