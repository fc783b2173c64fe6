//! `pyforge env-info` and `pyforge volumes ...`.

use anyhow::Result;
use clap::{Args, Subcommand};
use pyforge_databricks::config::Config;
use pyforge_databricks::http::HttpClient;
use pyforge_databricks::volumes::{VolumeInfo, VolumesApi};

/// `pyforge env-info`.
#[derive(Debug, Args)]
pub struct EnvInfoArgs {
    /// Print JSON with exactly the keys databricks, compute, serverless_env_version,
    /// runtime_version, python, volumes_mounted, auth {method, host, profile}.
    #[arg(long)]
    pub json: bool,
    /// Profile of ~/.databrickscfg to report on (default: DATABRICKS_CONFIG_PROFILE, then
    /// the DATABRICKS_* variables, then DEFAULT).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// `pyforge volumes`.
#[derive(Debug, Subcommand)]
pub enum VolumesCommand {
    /// List the volumes of a schema.
    List(VolumesListArgs),
    /// Show one volume.
    Get(VolumesGetArgs),
}

/// `pyforge volumes list CATALOG.SCHEMA`.
#[derive(Debug, Args)]
pub struct VolumesListArgs {
    /// The schema, as CATALOG.SCHEMA.
    pub schema: String,
    /// Print JSON (the API's volume objects).
    #[arg(long)]
    pub json: bool,
    /// Profile of ~/.databrickscfg.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// `pyforge volumes get CATALOG.SCHEMA.VOLUME`.
#[derive(Debug, Args)]
pub struct VolumesGetArgs {
    /// The volume, as CATALOG.SCHEMA.VOLUME.
    pub volume: String,
    /// Print JSON (the API's volume object).
    #[arg(long)]
    pub json: bool,
    /// Profile of ~/.databrickscfg.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// `pyforge env-info`: never fails for a missing or broken configuration (that is reported).
pub fn env_info(a: EnvInfoArgs) -> Result<u8> {
    let (info, problem) = pyforge_databricks::env::detect(a.profile.as_deref());
    if a.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        let or_none = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        let databricks = match (info.databricks, info.compute, info.serverless_env_version) {
            (false, _, _) => "no".to_string(),
            (true, Some(pyforge_databricks::env::Compute::Serverless), Some(v)) => {
                format!("yes (serverless, environment version {v})")
            }
            (true, Some(pyforge_databricks::env::Compute::Serverless), None) => "yes (serverless)".to_string(),
            (true, _, _) => "yes (classic compute)".to_string(),
        };
        println!("{:<17} {databricks}", "Databricks:");
        println!("{:<17} {}", "Runtime version:", or_none(&info.runtime_version));
        println!("{:<17} {}", "Python:", or_none(&info.python));
        println!(
            "{:<17} {}",
            "Volumes mounted:",
            if info.volumes_mounted { "yes" } else { "no (Volume paths go through the Files API)" }
        );
        println!("{:<17} {}", "Auth method:", info.auth.method.clone().unwrap_or_else(|| "none".into()));
        println!("{:<17} {}", "Workspace:", or_none(&info.auth.host));
        println!("{:<17} {}", "Profile:", or_none(&info.auth.profile));
    }
    if let Some(p) = problem {
        eprintln!("pyforge: warning: {p}");
    }
    Ok(0)
}

fn client(profile: Option<&str>) -> Result<HttpClient> {
    Ok(HttpClient::new(&Config::resolve(profile)?)?)
}

fn print_table(vols: &[VolumeInfo]) {
    let w = vols.iter().map(|v| v.full_name.chars().count()).max().unwrap_or(0).max(4);
    println!("{:<w$}  {:<8}  {:<16}  LOCATION", "NAME", "TYPE", "OWNER");
    for v in vols {
        let s = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        println!("{:<w$}  {:<8}  {:<16}  {}", v.full_name, s(&v.volume_type), s(&v.owner), s(&v.storage_location));
    }
}

/// `pyforge volumes list|get` (`quiet`: print nothing when there is nothing to list).
pub fn volumes(quiet: bool, c: VolumesCommand) -> Result<u8> {
    match c {
        VolumesCommand::List(a) => {
            let http = client(a.profile.as_deref())?;
            let vols = VolumesApi::new(&http).list(&a.schema)?;
            if a.json {
                let raw: Vec<_> = vols.iter().map(|v| v.raw.clone()).collect();
                println!("{}", serde_json::to_string_pretty(&raw)?);
            } else if vols.is_empty() {
                if !quiet {
                    println!("no volumes in {}", a.schema);
                }
            } else {
                print_table(&vols);
            }
        }
        VolumesCommand::Get(a) => {
            let http = client(a.profile.as_deref())?;
            let v = VolumesApi::new(&http).get(&a.volume)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&v.raw)?);
            } else {
                print_table(std::slice::from_ref(&v));
            }
        }
    }
    Ok(0)
}
