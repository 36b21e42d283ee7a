//! `POST /build` with the classic builder, and `POST /build/prune`. The
//! request body is the context tar; the answer is moby's JSON stream
//! (`Step N/M : ...`, ` ---> <id>`, the RUN output, `Successfully built`).
//! Parsing is `crate::build`'s; the steps are in `steps`, the copies in
//! `copy`, the context in `context`.

mod cache;
mod context;
mod copy;
mod output;
mod prune;
mod steps;

use super::route::{Call, Reply, Route};
use super::state::Daemon;
use crate::api::container::{ContainerConfig, CreateRequest, HostConfig};
use crate::api::{ApiError, Router};
use crate::build::dockerfile::{self, Dockerfile, Instruction};
use crate::daemon::containers::create::{CreateContext, create_container};
use crate::daemon::containers::lookup::ImageLookup;
use crate::daemon::containers::{remove, shims, validate};
use crate::daemon::errors::{image_error, store_error};
use crate::daemon::image_service::StoredImage;
use crate::http::Headers;
use crate::image::{ChildConfig, Digest, Reference};
use crate::store::Table;
use context::Context;
use output::Output;
use std::collections::BTreeMap;
use steps::{Stage, StepError};

pub fn routes(router: &mut Router<Route>) {
    router
        .add("POST", "/build", build)
        .add("POST", "/build/prune", prune::prune);
}

/// The query of `POST /build`, read once.
struct Options {
    dockerfile: String,
    tags: Vec<Reference>,
    build_args: BTreeMap<String, Option<String>>,
    labels: BTreeMap<String, String>,
    target: String,
    no_cache: bool,
    rm: bool,
    force_rm: bool,
    quiet: bool,
    network_mode: String,
}

fn json_query<T: serde::de::DeserializeOwned + Default>(
    call: &Call<'_, '_>,
    name: &str,
) -> Result<T, ApiError> {
    match call.query.get(name) {
        None | Some("") => Ok(T::default()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| ApiError::invalid(format!("failed to parse {name}: {e}"))),
    }
}

fn options(call: &Call<'_, '_>) -> Result<Options, ApiError> {
    let mut tags = Vec::new();
    for tag in call.query.all("t") {
        let named = Reference::parse_normalized(tag)
            .map_err(|_| ApiError::invalid("invalid reference format"))?;
        let named = if named.tag().is_none() && named.digest().is_none() {
            named
                .with_tag("latest")
                .map_err(|_| ApiError::invalid("invalid reference format"))?
        } else {
            named
        };
        tags.push(named);
    }
    let remote = call.query.get("remote").unwrap_or("");
    if !remote.is_empty() {
        return Err(ApiError::invalid(format!(
            "remote build contexts are not supported: {remote}"
        )));
    }
    let flag = |name: &str, default: bool| match call.query.get(name) {
        None | Some("") => default,
        Some(_) => call.query.bool(name),
    };
    Ok(Options {
        dockerfile: call
            .query
            .get("dockerfile")
            .filter(|d| !d.is_empty())
            .unwrap_or("Dockerfile")
            .to_string(),
        tags,
        build_args: json_query(call, "buildargs")?,
        labels: json_query(call, "labels")?,
        target: call.query.get("target").unwrap_or("").to_string(),
        no_cache: flag("nocache", false),
        rm: flag("rm", true),
        force_rm: flag("forcerm", false),
        quiet: flag("q", false),
        network_mode: call.query.get("networkmode").unwrap_or("").to_string(),
    })
}

/// The Dockerfile of the context, parsed, with `.dockerignore` applied
/// to it and to itself as moby does.
fn read_dockerfile(context: &Context, options: &Options) -> Result<Dockerfile, ApiError> {
    let name = options.dockerfile.as_str();
    let bytes = context
        .read_file(name, dockerfile::MAX_DOCKERFILE)
        .map_err(ApiError::invalid)?;
    let bytes = match bytes {
        Some(bytes) => bytes,
        None if name == "Dockerfile" => context
            .read_file("dockerfile", dockerfile::MAX_DOCKERFILE)
            .map_err(ApiError::invalid)?
            .ok_or_else(|| {
                ApiError::invalid(format!("Cannot locate specified Dockerfile: {name}"))
            })?,
        None => {
            return Err(ApiError::invalid(format!(
                "Cannot locate specified Dockerfile: {name}"
            )));
        }
    };
    if let Ok(Some(ignore)) = context.read_file(".dockerignore", 1 << 20)
        && let Ok(matcher) = crate::build::ignore::IgnoreMatcher::parse(&ignore)
    {
        for file in [".dockerignore", name] {
            if matcher.is_excluded(file) {
                context.remove(file);
            }
        }
    }
    let mut parsed = dockerfile::parse(name, &bytes).map_err(ApiError::invalid)?;
    if !options.target.is_empty() {
        parsed
            .truncate_to_target(&options.target)
            .map_err(ApiError::invalid)?;
    }
    Ok(parsed)
}

/// `labels` as moby's classic builder applies them: one more LABEL step
/// at the end of the Dockerfile, `LABEL "key"='value' ...`.
fn add_label_step(
    parsed: &mut Dockerfile,
    labels: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    if labels.is_empty() {
        return Ok(());
    }
    let mut line = String::from("LABEL ");
    for (key, value) in labels {
        line.push_str(&format!(
            "{}='{value}' ",
            crate::gofmt::quote::go_quote(key)
        ));
    }
    let mut step = dockerfile::parse_trigger(&line).map_err(ApiError::invalid)?;
    // Its step line shows the pairs unquoted.
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    step.original = format!("LABEL {}", pairs.join(" "));
    if let Some(stage) = parsed.stages.last_mut() {
        stage.steps.push(step);
    }
    Ok(())
}

fn build(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let options = options(call)?;
    let dir = daemon.images().content().temp_path("build-context");
    let received = Context::receive(call.exchange.body(), dir);
    let _ = std::io::copy(call.exchange.body(), &mut std::io::sink());
    let context = received.map_err(ApiError::invalid)?;
    let mut parsed = read_dockerfile(&context, &options)?;
    add_label_step(&mut parsed, &options.labels)?;
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/json");
    let writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("start build stream: {e}")))?;
    let mut builder = Builder {
        daemon,
        out: Output::new(writer, options.quiet),
        context: &context,
        escape: parsed.escape,
        unused_args: options.build_args.clone(),
        meta_args: Vec::new(),
        stages: Vec::new(),
        options: &options,
        step: 0,
        total: parsed.step_count(),
    };
    match builder.build_all(&parsed) {
        Ok(id) => builder.finish(&id),
        Err(error) => builder.out.error(error.code, &error.message),
    }
    builder.out.finish();
    Ok(Reply::Done)
}

pub struct Builder<'a> {
    daemon: &'a Daemon,
    out: Output,
    context: &'a Context,
    escape: char,
    options: &'a Options,
    /// Build args not used by any ARG yet.
    unused_args: BTreeMap<String, Option<String>>,
    /// Global ARGs with their values, for FROM and `ARG name` in stages.
    meta_args: Vec<(String, Option<String>)>,
    /// Each finished stage's name and image.
    stages: Vec<(Option<String>, String)>,
    step: usize,
    total: usize,
}

impl Builder<'_> {
    fn announce(&mut self, original: &str) {
        self.step += 1;
        // moby writes the line and its end apart.
        let text = format!("Step {}/{} : {original}", self.step, self.total);
        self.out.text(text);
        self.out.text("\n");
    }

    fn build_all(&mut self, file: &Dockerfile) -> Result<String, StepError> {
        for warning in &file.warnings {
            self.out.text(format!("[WARNING]: {warning}\n"));
        }
        for arg in &file.meta_args {
            self.announce(&arg.original);
            let vars: Vec<String> = self
                .meta_args
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
                .collect();
            if let Instruction::Arg(decls) = arg.instruction.expand(self.escape, &vars)? {
                for decl in decls {
                    let value = self.take_build_arg(&decl.name).or(decl.default);
                    self.meta_args.push((decl.name, value));
                }
            }
        }
        let mut last = String::new();
        for stage in &file.stages {
            last = self.build_stage(stage)?;
        }
        if !self.unused_args.is_empty() {
            let names: Vec<&str> = self.unused_args.keys().map(String::as_str).collect();
            self.out.text(format!(
                "[Warning] One or more build-args [{}] were not consumed\n",
                names.join(" ")
            ));
        }
        Ok(last)
    }

    fn build_stage(&mut self, stage: &dockerfile::Stage) -> Result<String, StepError> {
        self.announce(&stage.step.original);
        let meta: Vec<String> = self
            .meta_args
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        let Instruction::From(from) = stage.step.instruction.expand(self.escape, &meta)? else {
            return Err(String::from("a stage begins with FROM").into());
        };
        let mut state = Stage::default();
        if !from.base.eq_ignore_ascii_case("scratch") {
            let image = match self.stage_image_opt(&from.base) {
                Some(image) => image,
                None => {
                    let resolved = self
                        .daemon
                        .image_lookup()
                        .resolve(&from.base)
                        .map_err(|e| e.message)?;
                    resolved.id
                }
            };
            state.config = self.image_config(&image)?;
            state.image_id = Some(image);
        }
        self.run_triggers(&mut state)?;
        self.out.text(format!(
            " ---> {}\n",
            short(state.image_id.as_deref().unwrap_or(""))
        ));
        for step in &stage.steps {
            self.announce(&step.original);
            self.dispatch(&mut state, step)?;
            self.out.text(format!(
                " ---> {}\n",
                short(state.image_id.as_deref().unwrap_or(""))
            ));
        }
        let id = state.image_id.clone().unwrap_or_default();
        if !id.is_empty() {
            self.out.aux_id(&id);
        }
        self.stages.push((from.name.clone(), id.clone()));
        Ok(id)
    }

    /// ONBUILD triggers of the base image, run right after FROM.
    fn run_triggers(&mut self, state: &mut Stage) -> Result<(), StepError> {
        let triggers = state.config.on_build.take().unwrap_or_default();
        if triggers.is_empty() {
            return Ok(());
        }
        // Three writes, as moby's Fprintf of the count and the plural.
        self.out
            .text(format!("# Executing {} build trigger", triggers.len()));
        if triggers.len() > 1 {
            self.out.text("s");
        }
        self.out.text("\n");
        for trigger in triggers {
            let step = dockerfile::parse_trigger(&trigger)?;
            self.dispatch(state, &step)?;
        }
        Ok(())
    }

    fn finish(&mut self, id: &str) {
        if id.is_empty() {
            self.out
                .error(0, "No image was generated. Is your Dockerfile empty?");
            return;
        }
        self.out.text(format!("Successfully built {}\n", short(id)));
        for tag in &self.options.tags {
            let written = self.daemon.store().write(|tx| {
                tx.put_raw(Table::Tags, &tag.to_string(), id.as_bytes())?;
                Ok(())
            });
            if let Err(error) = written.map_err(store_error) {
                self.out.error(0, &error.message);
                return;
            }
            self.daemon.log_image_event(id, &tag.familiar(), "tag");
            self.out
                .text(format!("Successfully tagged {}\n", tag.familiar()));
        }
        if self.options.quiet {
            self.out.quiet_id(id);
        }
    }

    /// The image's container defaults read from its config as stored
    /// (ONBUILD, SHELL and HEALTHCHECK included).
    fn image_config(&self, id: &str) -> Result<ContainerConfig, String> {
        let digest = Digest::parse(id).map_err(|e| e.to_string())?;
        let raw = self
            .daemon
            .images()
            .content()
            .config(&digest)
            .map_err(|e| e.to_string())?;
        let mut value: serde_json::Value =
            serde_json::from_slice(&raw).map_err(|e| format!("image {id}: {e}"))?;
        match value.get_mut("config").map(serde_json::Value::take) {
            None | Some(serde_json::Value::Null) => Ok(ContainerConfig::default()),
            Some(config) => serde_json::from_value(config).map_err(|e| format!("image {id}: {e}")),
        }
    }

    fn take_build_arg(&mut self, name: &str) -> Option<String> {
        let value = self.options.build_args.get(name).cloned().flatten();
        self.unused_args.remove(name);
        value
    }

    fn meta_arg(&self, name: &str) -> Option<String> {
        self.meta_args
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.clone())
    }

    fn stage_image_opt(&self, name: &str) -> Option<String> {
        let lower = name.to_lowercase();
        if let Some((_, id)) = self
            .stages
            .iter()
            .find(|(n, _)| n.as_deref() == Some(lower.as_str()))
        {
            return Some(id.clone());
        }
        None
    }

    /// `COPY --from`: a stage by name or index, or an image.
    fn stage_image(&self, name: &str) -> Result<String, String> {
        if let Some(id) = self.stage_image_opt(name) {
            return Ok(id);
        }
        if let Ok(index) = name.parse::<usize>() {
            return self
                .stages
                .get(index)
                .map(|(_, id)| id.clone())
                .ok_or_else(|| {
                    format!("invalid from flag value {name}: refers to current build stage")
                });
        }
        self.daemon
            .image_lookup()
            .resolve(name)
            .map(|r| r.id)
            .map_err(|e| e.message)
    }

    /// A build container of `image` running `config` (not started).
    fn create(&mut self, image: &str, config: &ContainerConfig) -> Result<String, String> {
        let images = self.daemon.image_lookup();
        let ctx = CreateContext {
            store: self.daemon.store(),
            images: &images,
            data_root: &self.daemon.config().data_root,
            storage_driver: self.daemon.storage_driver(),
            facts: validate::HostFacts {
                ncpu: crate::daemon::host::ncpu(),
                cgroup_v2: crate::daemon::host::cgroup_facts().version == "2",
                blkio_weight: crate::daemon::host::blkio_weight_supported(),
            },
            host_name: crate::daemon::host::hostname(),
            log_driver: "json-file".into(),
            log_opts: BTreeMap::new(),
        };
        let mut config = config.clone();
        config.image = image.to_string();
        let host = HostConfig {
            network_mode: self.options.network_mode.clone(),
            log_config: crate::api::container::LogConfig {
                kind: "json-file".into(),
                config: BTreeMap::new(),
            },
            ..HostConfig::default()
        };
        let request = CreateRequest {
            config,
            host_config: Some(host),
            networking_config: None,
        };
        let (record, _) = create_container(&ctx, "", request).map_err(|e| e.message)?;
        self.daemon.log_container_event(&record, "create", &[]);
        Ok(record.id)
    }

    /// Starts the container, sends its output on as it ends, and gives
    /// its exit code.
    fn start_and_wait(&mut self, id: &str) -> Result<i64, String> {
        let seen = self.daemon.shims().exits(id);
        shims::start(self.daemon, id).map_err(|e| e.message)?;
        self.daemon.shims().wait_exit(id, seen, None);
        let record = self.daemon.find_container(id).map_err(|e| e.message)?;
        let path = record.log_path(&self.daemon.config().data_root);
        for file in crate::shim::jsonlog::log_files(&path) {
            if let Ok(file) = std::fs::File::open(file) {
                for line in crate::shim::jsonlog::read_lines(std::io::BufReader::new(file)) {
                    // moby's stderr writer marks the step's stderr in red.
                    match line.stream.as_str() {
                        "stderr" => self.out.text(format!("\x1b[91m{}\x1b[0m", line.log)),
                        _ => self.out.text(line.log),
                    }
                }
            }
        }
        Ok(record.state.exit_code)
    }

    /// Removes a build container as moby's `rm`/`forcerm` say:
    /// `succeeded` false keeps it unless `forcerm`.
    fn remove(&mut self, id: &str, succeeded: bool) {
        let wanted = self.options.force_rm || (self.options.rm && succeeded);
        if !wanted {
            return;
        }
        match remove::remove_container(self.daemon, id, true, true) {
            Ok(()) => self
                .out
                .text(format!("Removing intermediate container {}\n", short(id))),
            Err(error) => self.out.text(format!(
                "Failed to remove intermediate container {}: {}\n",
                short(id),
                error.message
            )),
        }
    }

    /// Commits the container's changes (or the config alone) as a child
    /// of the stage's image; `probe` is the config the history records.
    fn commit(
        &mut self,
        stage: &Stage,
        probe: &ContainerConfig,
        container: Option<&str>,
    ) -> Result<String, String> {
        let value = |c: &ContainerConfig| serde_json::to_value(c).map_err(|e| e.to_string());
        let child = ChildConfig {
            container_id: container.unwrap_or("").to_string(),
            author: stage.maintainer.clone(),
            comment: String::new(),
            config: value(&stage.config)?,
            container_config: value(probe)?,
            created_by: probe.cmd.clone().unwrap_or_default().join(" "),
            docker_version: crate::version::DOCKER_COMPAT_VERSION.to_string(),
        };
        let parent = stage
            .image_id
            .as_deref()
            .map(Digest::parse)
            .transpose()
            .map_err(|e| e.to_string())?;
        let _guard = self.daemon.images().lock();
        let image = self
            .daemon
            .images()
            .commit_container(parent.as_ref(), &child)
            .map_err(|e| image_error(e).message)?;
        let id = image.id.to_string();
        let stored = StoredImage {
            record: image,
            last_tag_time: None,
            parent,
        };
        self.daemon
            .store()
            .write(|tx| tx.put(Table::Images, &id, &stored))
            .map_err(|e| store_error(e).message)?;
        Ok(id)
    }

    /// The classic cache: an image whose parent is the stage's and whose
    /// history-making config is `probe`. Prints ` ---> Using cache`.
    fn try_cache(&mut self, stage: &mut Stage, probe: &ContainerConfig) -> bool {
        if self.options.no_cache {
            return false;
        }
        let Some(parent) = stage.image_id.clone() else {
            return false;
        };
        let Some(id) = cache::find(self.daemon, &parent, probe, &stage.config) else {
            return false;
        };
        self.out.text(" ---> Using cache\n");
        stage.image_id = Some(id);
        true
    }
}

fn short(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}
