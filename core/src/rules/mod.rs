//! The rule machine: tokens → decision. (Being written.)

use crate::guard::Progress;
use crate::policy::{Inspection, Policy, Side};
use crate::verdict::{Block, Reason, Verdict};

/// The body evaluator: tokenizer + rule machine, fixed size, no allocation.
pub struct Evaluator<'p> {
    policy: &'p Policy,
    inspection: Inspection,
}

impl<'p> Evaluator<'p> {
    /// An evaluator for one body.
    pub fn new(policy: &'p Policy, inspection: Inspection) -> Self {
        Evaluator { policy, inspection }
    }
    /// Sets the `X-UserOrgUUID` value.
    pub fn set_user_org_uuid(&mut self, _uuid: &[u8]) {}
    /// Which side this body is.
    pub fn side(&self) -> Side {
        self.inspection.side
    }
    /// Feeds bytes.
    pub fn feed(&mut self, _chunk: &[u8]) -> Progress {
        let _ = self.policy;
        Progress::Continue
    }
    /// Current progress.
    pub fn progress(&self) -> Progress {
        Progress::Continue
    }
    /// The verdict.
    pub fn finish(&mut self) -> Verdict {
        Verdict::Block(Block::new(Reason::Internal, self.inspection.side).with_detail("evaluator not built yet"))
    }
}
