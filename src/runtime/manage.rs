//! What runc does to a living container through its cgroup: pause and
//! resume (the freezer), ps, events (stats and OOM kills) and update.

use super::cgroups::{CgroupManager, CgroupStats};
use super::container::{Container, RuntimeError};
use super::state::Status;
use oci_spec::runtime::LinuxResources;

/// One event of `runc events`, as containerd decodes it.
#[derive(Debug, serde::Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<CgroupStats>,
}

impl Container {
    fn cgroup_of_living(&self) -> Result<Box<dyn CgroupManager>, RuntimeError> {
        if matches!(self.status(), Status::Stopped | Status::Creating) {
            return Err(RuntimeError::NotRunning);
        }
        self.cgroup()
            .ok_or_else(|| RuntimeError::Failed(format!("container {} has no cgroup", self.id)))
    }

    /// Freezes every process of the container (runc's `pause`).
    pub fn pause(&self) -> Result<(), RuntimeError> {
        match self.status() {
            Status::Running | Status::Created => {}
            Status::Paused => return Err(RuntimeError::Failed("container already paused".into())),
            _ => return Err(RuntimeError::NotRunning),
        }
        Ok(self.cgroup_of_living()?.freeze()?)
    }

    /// Thaws a paused container (runc's `resume`).
    pub fn resume(&self) -> Result<(), RuntimeError> {
        if self.status() != Status::Paused {
            return Err(RuntimeError::Failed("container not paused".into()));
        }
        Ok(self.cgroup_of_living()?.thaw()?)
    }

    /// Host pids of every process in the container's cgroup.
    /// A stopped container gives what its cgroup still holds, or nothing
    /// once the cgroup is gone, as runc's `ps` does.
    pub fn pids(&self) -> Result<Vec<i32>, RuntimeError> {
        let mut pids = match (self.status(), self.cgroup()) {
            (Status::Stopped, Some(cgroup)) => cgroup.pids().unwrap_or_default(),
            (Status::Stopped, None) => Vec::new(),
            _ => self.cgroup_of_living()?.pids()?,
        };
        pids.sort_unstable();
        pids.dedup();
        Ok(pids)
    }

    /// One `{"type":"stats"}` event.
    pub fn stats_event(&self) -> Result<Event, RuntimeError> {
        let stats = self.cgroup_of_living()?.stats()?;
        Ok(Event {
            kind: "stats",
            id: self.id.clone(),
            data: Some(stats),
        })
    }

    /// The event for one more OOM kill: `{"type":"oom","id":...}` in that
    /// order, as runc prints it (a JSON map would sort "id" first).
    pub fn oom_event(&self) -> Event {
        Event {
            kind: "oom",
            id: self.id.clone(),
            data: None,
        }
    }

    /// OOM kills so far in the container's cgroup.
    pub fn oom_kill_count(&self) -> Result<u64, RuntimeError> {
        Ok(self.cgroup_of_living()?.oom_kill_count()?)
    }

    /// Writes new limits into the container's cgroup (runc's `update`).
    pub fn update(&self, resources: &LinuxResources) -> Result<(), RuntimeError> {
        Ok(self.cgroup_of_living()?.set(resources)?)
    }
}
