//! The classic builder's steps, as moby 20.10's dispatchers run them:
//! every step makes a child image of the one before. RUN runs a
//! container of the current image through the daemon's own create/start
//! path and commits its changes; metadata instructions commit a
//! container that never ran (a config-only image whose history says
//! `#(nop) `); COPY/ADD write into a container's root and commit that.

use super::Builder;
use super::copy::{CopyRequest, copy};
use crate::api::container::{ContainerConfig, HealthConfig};
use crate::build::dockerfile::{CommandLine, Healthcheck, Instruction, Step};
use crate::daemon::containers::remove::remove_container;
use crate::inroot::Root;
use std::collections::BTreeMap;

/// A step's failure: the message and the exit status the client takes.
pub struct StepError {
    pub code: i64,
    pub message: String,
}

impl From<String> for StepError {
    fn from(message: String) -> StepError {
        StepError { code: 0, message }
    }
}

pub type StepResult = Result<(), StepError>;

/// The state of the stage being built (moby's dispatchState).
#[derive(Default)]
pub struct Stage {
    /// None for `FROM scratch` before any step.
    pub image_id: Option<String>,
    pub config: ContainerConfig,
    pub maintainer: String,
    /// ARGs declared in this stage with their values.
    pub args: Vec<(String, Option<String>)>,
}

const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

impl Stage {
    pub fn shell(&self) -> Vec<String> {
        self.config
            .extra
            .get("Shell")
            .and_then(|v| serde_json::from_value::<Vec<String>>(v.clone()).ok())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_SHELL.iter().map(|s| s.to_string()).collect())
    }

    /// Build args in effect that the environment does not override,
    /// `KEY=value`, sorted (moby's FilterAllowed).
    pub fn build_args(&self) -> Vec<String> {
        let env = self.config.env.clone().unwrap_or_default();
        let mut args: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, value) in &self.args {
            let overridden = env
                .iter()
                .any(|e| e.split('=').next() == Some(key.as_str()));
            if let (Some(value), false) = (value, overridden) {
                args.insert(key, value);
            }
        }
        args.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    /// Variables words expand with: args, then the environment (which
    /// wins, as the last definition does).
    pub fn vars(&self) -> Vec<String> {
        let mut vars: Vec<String> = self
            .args
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        vars.extend(self.config.env.clone().unwrap_or_default());
        vars
    }
}

fn go_quote_list(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| crate::gofmt::quote::go_quote(w))
        .collect();
    format!("[{}]", quoted.join(" "))
}

/// Go's `%q` of a small int (a rune literal), as HEALTHCHECK's Retries
/// shows in moby's commit message.
fn rune_literal(n: i64) -> String {
    let c = u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    crate::gofmt::quote::go_quote_rune(c)
}

fn go_duration(nanos: i64) -> String {
    crate::gofmt::quote::go_quote(&crate::gofmt::duration::go_duration_string(nanos))
}

impl Builder<'_> {
    /// Runs one step of the current stage.
    pub fn dispatch(&mut self, stage: &mut Stage, step: &Step) -> StepResult {
        if let Some(refusal) = step.instruction.classic_refusal() {
            return Err(refusal.into());
        }
        let instruction = match &step.instruction {
            Instruction::Run(_)
            | Instruction::Cmd(_)
            | Instruction::Entrypoint(_)
            | Instruction::Shell(_)
            | Instruction::Healthcheck(_)
            | Instruction::Onbuild(_)
            | Instruction::Maintainer(_) => step.instruction.clone(),
            other => other.expand(self.escape, &stage.vars())?,
        };
        match instruction {
            Instruction::Run(run) => self.run(stage, &run.command),
            Instruction::Copy(c) => self.copy_step(stage, &c, false),
            Instruction::Add(c) => self.copy_step(stage, &c, true),
            Instruction::Workdir(dir) => {
                let base = stage.config.working_dir.clone();
                let path = if dir.starts_with('/') {
                    dir
                } else {
                    format!("{}/{dir}", if base.is_empty() { "/" } else { &base })
                };
                let clean = crate::gofmt::path::clean(&path);
                stage.config.working_dir = clean.clone();
                self.commit_nop(stage, &format!("WORKDIR {clean}"), true)
            }
            other => {
                let comment = apply_metadata(stage, other, self)?;
                self.commit_nop(stage, &comment, false)
            }
        }
    }

    /// moby's `commit` of a config change: a container that never runs,
    /// committed and removed. WORKDIR makes its directory first.
    fn commit_nop(&mut self, stage: &mut Stage, comment: &str, make_workdir: bool) -> StepResult {
        let mut probe = stage.config.clone();
        let mut cmd = stage.shell();
        // moby's WORKDIR writes its comment as one word with the marker.
        if make_workdir {
            cmd.push(format!("#(nop) {comment}"));
        } else {
            cmd.push("#(nop) ".into());
            cmd.push(comment.to_string());
        }
        probe.cmd = Some(cmd);
        if self.try_cache(stage, &probe) {
            return Ok(());
        }
        let Some(image) = stage.image_id.clone() else {
            // Nothing to make a container of: commit the config alone.
            let id = self.commit(stage, &probe, None)?;
            stage.image_id = Some(id);
            return Ok(());
        };
        let container = self.create(&image, &probe)?;
        self.out
            .text(format!(" ---> Running in {}\n", &container[..12]));
        let made = if make_workdir {
            self.mount(&container, &image).and_then(|root| {
                root.mkdir_all(std::path::Path::new(&stage.config.working_dir), 0o755)
                    .map(drop)
                    .map_err(|e| e.to_string())
            })
        } else {
            Ok(())
        };
        let committed = made.and_then(|()| self.commit(stage, &probe, Some(&container)));
        self.remove(&container, committed.is_ok());
        stage.image_id = Some(committed?);
        Ok(())
    }

    fn run(&mut self, stage: &mut Stage, command: &CommandLine) -> StepResult {
        let Some(image) = stage.image_id.clone() else {
            return Err(
                String::from("Please provide a source image with `from` prior to run").into(),
            );
        };
        let mut cmd = if command.prepend_shell {
            stage.shell()
        } else {
            Vec::new()
        };
        cmd.extend(command.args.iter().cloned());
        let args = stage.build_args();
        let mut saved = cmd.clone();
        if !args.is_empty() {
            saved = vec![format!("|{}", args.len())];
            saved.extend(args.iter().cloned());
            saved.extend(cmd.iter().cloned());
        }
        let mut probe = stage.config.clone();
        probe.cmd = Some(saved);
        if self.try_cache(stage, &probe) {
            return Ok(());
        }
        let mut run_config = stage.config.clone();
        run_config.cmd = Some(cmd.clone());
        run_config.entrypoint = Some(Vec::new());
        run_config.healthcheck = None;
        let mut env = run_config.env.clone().unwrap_or_default();
        env.extend(args);
        run_config.env = Some(env);
        let container = self.create(&image, &run_config)?;
        self.out
            .text(format!(" ---> Running in {}\n", &container[..12]));
        let code = self.start_and_wait(&container)?;
        if code != 0 {
            self.remove(&container, false);
            return Err(StepError {
                code,
                message: format!(
                    "The command '{}' returned a non-zero code: {code}",
                    cmd.join(" ")
                ),
            });
        }
        let committed = self.commit(stage, &probe, Some(&container));
        self.remove(&container, committed.is_ok());
        stage.image_id = Some(committed?);
        Ok(())
    }

    fn copy_step(
        &mut self,
        stage: &mut Stage,
        request: &crate::build::dockerfile::Copy,
        add: bool,
    ) -> StepResult {
        let name = if add { "ADD" } else { "COPY" };
        let mut dest = request.dest.clone();
        if !dest.starts_with('/') {
            let base = &stage.config.working_dir;
            let keep_slash = dest.ends_with('/');
            dest = crate::gofmt::path::clean(&format!("{base}/{dest}"));
            if keep_slash && !dest.ends_with('/') {
                dest.push('/');
            }
        }
        // A scratch stage has no image to make a container of: its files
        // go into an empty root filesystem of their own.
        let container = match &stage.image_id {
            Some(image) => self.create(image, &stage.config)?,
            None => crate::daemon::containers::names::new_id()
                .map_err(|e| format!("generate an ID: {e}"))?,
        };
        let image = stage.image_id.clone();
        let outcome = (|| -> Result<String, StepError> {
            let to = match &image {
                Some(image) => self.mount(&container, image)?,
                None => self
                    .daemon
                    .images()
                    .create_empty_rootfs(&container)
                    .map_err(|e| e.to_string())
                    .and_then(|path| Root::open(&path).map_err(|e| e.to_string()))?,
            };
            let copy_request = CopyRequest {
                sources: &request.sources,
                dest: dest.clone(),
                owner: parse_chown(&request.chown, &to)?,
                extract: add,
            };
            match &request.from {
                None => Ok(copy(&self.context.root, &to, &copy_request)?),
                Some(from) => {
                    let from_image = self.stage_image(from)?;
                    let source = self.create(&from_image, &stage.config)?;
                    let copied = self
                        .mount(&source, &from_image)
                        .and_then(|root| copy(&root, &to, &copy_request));
                    self.discard(&source);
                    Ok(copied?)
                }
            }
        })();
        let hash = match outcome {
            Ok(hash) => hash,
            Err(error) => {
                self.discard(&container);
                return Err(error);
            }
        };
        let chown = if request.chown.is_empty() {
            String::new()
        } else {
            format!("--chown={} ", request.chown)
        };
        let mut probe = stage.config.clone();
        let mut cmd = stage.shell();
        cmd.push(format!("#(nop) {name} {chown}{hash} in {} ", request.dest));
        probe.cmd = Some(cmd);
        if self.try_cache(stage, &probe) {
            self.discard(&container);
            return Ok(());
        }
        let committed = self.commit(stage, &probe, Some(&container));
        self.discard(&container);
        stage.image_id = Some(committed?);
        Ok(())
    }

    /// Removes a container moby would not have made (COPY and ADD write
    /// to a layer of their own), so nothing is announced.
    fn discard(&self, container: &str) {
        if self.daemon.find_container(container).is_err() {
            // A scratch step's bare root filesystem.
            if let Err(error) = self.daemon.images().remove_rootfs(container) {
                crate::daemon::log::warn(&format!("build: remove {container}: {error}"));
            }
            return;
        }
        if let Err(error) = remove_container(self.daemon, container, true, true) {
            crate::daemon::log::warn(&format!("build: remove {container}: {}", error.message));
        }
    }

    fn mount(&self, container: &str, image: &str) -> Result<Root, String> {
        let digest = crate::image::Digest::parse(image).map_err(|e| e.to_string())?;
        let path = self
            .daemon
            .images()
            .create_rootfs(container, &digest)
            .map_err(|e| e.to_string())?;
        Root::open(&path).map_err(|e| e.to_string())
    }
}

/// `--chown=user[:group]` as moby reads it: numbers as they are, names
/// from the destination's /etc/passwd and /etc/group (read inside its
/// root); a user alone stands for the group of the same name or number.
fn parse_chown(chown: &str, root: &Root) -> Result<(u32, u32), String> {
    if chown.is_empty() {
        return Ok((0, 0));
    }
    let (user, group) = chown.split_once(':').unwrap_or((chown, chown));
    if let (Ok(uid), Ok(gid)) = (user.parse(), group.parse()) {
        return Ok((uid, gid));
    }
    let spec = format!("{user}:{group}");
    crate::daemon::containers::user::resolve_in_rootfs(root.path(), &spec, &[])
        .map(|found| (found.uid, found.gid))
        .map_err(|e| format!("unable to convert uid/gid chown string to host mapping: {e}"))
}

fn command_words(stage: &Stage, line: &CommandLine) -> Vec<String> {
    let mut words = if line.prepend_shell {
        stage.shell()
    } else {
        Vec::new()
    };
    words.extend(line.args.iter().cloned());
    words
}

/// Applies a config-only instruction and returns moby's commit comment.
fn apply_metadata(
    stage: &mut Stage,
    instruction: Instruction,
    builder: &mut Builder<'_>,
) -> Result<String, String> {
    let config = &mut stage.config;
    Ok(match instruction {
        Instruction::Env(pairs) => {
            let env = config.env.get_or_insert_with(Vec::new);
            let mut comment = String::from("ENV");
            for pair in pairs {
                comment.push_str(&format!(" {}={}", pair.key, pair.value));
                let entry = format!("{}={}", pair.key, pair.value);
                match env
                    .iter_mut()
                    .find(|e| e.split('=').next() == Some(pair.key.as_str()))
                {
                    Some(existing) => *existing = entry,
                    None => env.push(entry),
                }
            }
            comment
        }
        Instruction::Label(pairs) => {
            let labels = config.labels.get_or_insert_with(BTreeMap::new);
            let mut comment = String::from("LABEL");
            for pair in pairs {
                comment.push_str(&format!(" {}={}", pair.key, pair.value));
                labels.insert(pair.key, pair.value);
            }
            comment
        }
        Instruction::Maintainer(name) => {
            stage.maintainer = name.clone();
            format!("MAINTAINER {name}")
        }
        Instruction::Cmd(line) => {
            let words = command_words(stage, &line);
            stage.config.cmd = Some(words.clone());
            format!("CMD {}", go_quote_list(&words))
        }
        Instruction::Entrypoint(line) => {
            let words = command_words(stage, &line);
            stage.config.entrypoint = Some(words.clone());
            // moby: an ENTRYPOINT resets a CMD the image brought.
            stage.config.cmd = None;
            format!("ENTRYPOINT {}", go_quote_list(&words))
        }
        Instruction::Expose(ports) => {
            let exposed = config.exposed_ports.get_or_insert_with(BTreeMap::new);
            for port in &ports {
                let key = if port.contains('/') {
                    port.clone()
                } else {
                    format!("{port}/tcp")
                };
                exposed.insert(key, serde_json::json!({}));
            }
            format!("EXPOSE {}", ports.join(" "))
        }
        Instruction::User(user) => {
            config.user = user.clone();
            format!("USER {user}")
        }
        Instruction::Volume(paths) => {
            let volumes = config.volumes.get_or_insert_with(BTreeMap::new);
            for path in &paths {
                volumes.insert(path.clone(), serde_json::json!({}));
            }
            format!("VOLUME [{}]", paths.join(" "))
        }
        Instruction::StopSignal(signal) => {
            config.stop_signal = signal.clone();
            format!("STOPSIGNAL {signal}")
        }
        Instruction::Shell(words) => {
            config
                .extra
                .insert("Shell".into(), serde_json::json!(words.clone()));
            format!("SHELL [{}]", words.join(" "))
        }
        Instruction::Onbuild(trigger) => {
            config
                .on_build
                .get_or_insert_with(Vec::new)
                .push(trigger.clone());
            format!("ONBUILD {trigger}")
        }
        Instruction::Healthcheck(check) => healthcheck(config, check),
        Instruction::Arg(decls) => {
            let mut comment = String::from("ARG");
            for decl in decls {
                let given = builder.take_build_arg(&decl.name);
                comment.push(' ');
                comment.push_str(&decl.name);
                if let Some(default) = &decl.default {
                    comment.push('=');
                    comment.push_str(default);
                }
                let value = given
                    .or(decl.default)
                    .or_else(|| builder.meta_arg(&decl.name));
                stage.args.retain(|(k, _)| *k != decl.name);
                stage.args.push((decl.name, value));
            }
            comment
        }
        other => return Err(format!("unexpected instruction {other:?}")),
    })
}

fn healthcheck(config: &mut ContainerConfig, check: Healthcheck) -> String {
    let health = match check {
        Healthcheck::Disabled => HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        },
        Healthcheck::Check {
            test,
            interval,
            timeout,
            start_period,
            retries,
            ..
        } => HealthConfig {
            test: Some(test),
            interval,
            timeout,
            start_period,
            retries,
            ..HealthConfig::default()
        },
    };
    let comment = format!(
        "HEALTHCHECK &{{{} {} {} {} {}}}",
        go_quote_list(health.test.as_deref().unwrap_or(&[])),
        go_duration(health.interval),
        go_duration(health.timeout),
        go_duration(health.start_period),
        rune_literal(health.retries),
    );
    config.healthcheck = Some(health);
    comment
}
