//! `kharden apply`: the plan and what became of each step, for a terminal and as the
//! `kharden.apply/1` JSON document (docs/json-output.md).

use std::fmt;

use serde::Serialize;

use super::Render;
use crate::audit::readiness::{Readiness, Verdict};
use crate::remedy::apply::{Action, Execute, State, Step};
use crate::remedy::LeftOut;
use crate::term::clean;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ApplyReport {
    pub schema: &'static str,
    pub generator: crate::generator::Generator,
    pub profile: String,
    /// No `--yes`: nothing was written.
    pub dry_run: bool,
    pub steps: Vec<StepView>,
    pub summary: Summary,
    /// Rules a user policy waives or drops: no step is there for them.
    pub left_out: Vec<LeftOut>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct StepView {
    pub action: ActionKind,
    /// The sysctl's name, or the path of the file written.
    pub target: String,
    /// The value before (`null` for the persistent file).
    pub from: Option<String>,
    /// The value asked for (`null` for the persistent file).
    pub to: Option<String>,
    /// The file's content (only for the persistent file).
    pub content: Option<String>,
    /// Cannot be undone until reboot.
    pub irreversible: bool,
    /// The failing rules that ask for this step.
    pub rules: Vec<String>,
    pub state: StepState,
    /// Why a step was left alone, skipped or failed.
    pub reason: Option<String>,
    /// What this step breaks on this host (irreversible steps only), one line each: the
    /// blockers of `readiness`, or what could not be examined, or what was examined.
    pub impact: Vec<String>,
    /// The readiness verdict of the step's rules (irreversible steps only).
    pub readiness: Option<Readiness>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Sysctl,
    Runtime,
    Persist,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not carried out: a dry run (or never reached).
    Planned,
    Done,
    /// Already this strict or stricter.
    LeftAlone,
    Skipped,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub done: usize,
    pub failed: usize,
    pub steps: usize,
}

impl ApplyReport {
    /// The report of `steps` after [`crate::remedy::apply::execute`] ran them as `how` says.
    pub fn new(profile: &str, steps: &[Step], how: Execute, left_out: Vec<LeftOut>) -> ApplyReport {
        let steps: Vec<StepView> = steps.iter().map(StepView::new).collect();
        let count = |state| steps.iter().filter(|s| s.state == state).count();
        let summary = Summary {
            done: count(StepState::Done),
            failed: count(StepState::Failed),
            steps: steps.len(),
        };
        ApplyReport {
            schema: "kharden.apply/1",
            generator: crate::generator::GENERATOR,
            profile: profile.to_string(),
            dry_run: !how.yes,
            steps,
            summary,
            left_out,
        }
    }
}

impl StepView {
    fn new(step: &Step) -> StepView {
        let action = match step.action {
            Action::Sysctl { .. } => ActionKind::Sysctl,
            Action::Runtime { .. } => ActionKind::Runtime,
            Action::Persist { .. } => ActionKind::Persist,
        };
        let (target, from, to, content) = match &step.action {
            Action::Sysctl {
                key: target,
                from,
                to,
            }
            | Action::Runtime {
                path: target,
                from,
                to,
            } => (
                target.to_string(),
                Some(from.to_string()),
                Some(to.to_string()),
                None,
            ),
            Action::Persist { path, content } => {
                (path.to_string(), None, None, Some(content.clone()))
            }
        };
        let (state, reason) = match &step.state {
            State::Planned => (StepState::Planned, None),
            State::Done => (StepState::Done, None),
            State::AlreadyStricter(why) => (StepState::LeftAlone, Some(why.clone())),
            State::Skipped(why) => (StepState::Skipped, Some(why.clone())),
            State::Failed(why) => (StepState::Failed, Some(why.clone())),
        };
        StepView {
            action,
            target,
            from,
            to,
            content,
            irreversible: step.irreversible,
            rules: step.rules.clone(),
            state,
            reason,
            impact: step.readiness.as_ref().map(impact).unwrap_or_default(),
            readiness: step.readiness.clone(),
        }
    }
}

/// A readiness verdict as the one-line `impact` entries of `kharden.apply/1`.
fn impact(r: &Readiness) -> Vec<String> {
    let mut out: Vec<String> = r
        .blockers
        .iter()
        .map(|b| format!("{}: {}", b.thing, b.consequence))
        .collect();
    out.extend(r.unknown.iter().map(|u| format!("not examined: {u}")));
    if r.verdict == Verdict::Ready {
        out.push(format!(
            "nothing found on this host that it would break (examined: {})",
            r.examined.join("; ")
        ));
    }
    out
}

impl Render for ApplyReport {}

/// Values read from the root (a sysctl's current value, module file names, read errors) go
/// through [`clean`].
impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            writeln!(f, "nothing to do: no failing rule has a runtime fix")?;
            return super::left_out_lines(f, "", &self.left_out);
        }
        let mode = if self.dry_run {
            "plan (dry run: add --yes to apply)"
        } else {
            "apply"
        };
        writeln!(f, "kharden {mode}")?;
        for s in &self.steps {
            s.write_human(f, self.dry_run)?;
        }
        let Summary {
            done,
            failed,
            steps,
        } = self.summary;
        super::left_out_lines(f, "", &self.left_out)?;
        writeln!(f, "{done} done, {failed} failed, {steps} steps")
    }
}

impl StepView {
    /// The step, its state, and what it breaks while it may still be taken.
    fn write_human(&self, f: &mut fmt::Formatter<'_>, dry_run: bool) -> fmt::Result {
        let value = |v: &Option<String>| clean(v.as_deref().unwrap_or_default()).into_owned();
        let target = clean(&self.target);
        match self.action {
            ActionKind::Sysctl => write!(
                f,
                "  sysctl {target}: {} -> {}",
                value(&self.from),
                value(&self.to)
            )?,
            ActionKind::Runtime => write!(
                f,
                "  {target}: {} -> {}",
                value(&self.from),
                value(&self.to)
            )?,
            ActionKind::Persist => write!(f, "  write {target}")?,
        }
        if self.irreversible {
            f.write_str(" [irreversible until reboot]")?;
        }
        if !self.rules.is_empty() {
            write!(f, " ({})", clean(&self.rules.join(", ")))?;
        }
        let why = value(&self.reason);
        match self.state {
            StepState::Planned if dry_run => writeln!(f, "\n      would do")?,
            StepState::Planned => writeln!(f, "\n      not run")?,
            StepState::Done => writeln!(f, "\n      done")?,
            StepState::LeftAlone => writeln!(f, "\n      left alone ({why})")?,
            StepState::Skipped => writeln!(f, "\n      skipped: {why}")?,
            StepState::Failed => writeln!(f, "\n      FAILED: {why}")?,
        }
        if self.irreversible && matches!(self.state, StepState::Planned | StepState::Skipped) {
            if let Some(r) = &self.readiness {
                super::human::write_readiness(f, &super::human::Paint(false), r, "      ")?;
            }
        }
        Ok(())
    }
}
