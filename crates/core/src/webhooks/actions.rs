//! The actions a webhook can be called for, with what Label Studio says of each
//! (`/api/webhooks/info/`) and the key its objects go under in the body.

use serde::Serialize;

/// Something that happened that webhooks hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ProjectCreated,
    ProjectUpdated,
    ProjectDeleted,
    TasksCreated,
    TasksDeleted,
    AnnotationCreated,
    AnnotationsCreated,
    AnnotationUpdated,
    AnnotationsDeleted,
    LabelLinkCreated,
    LabelLinkUpdated,
    LabelLinkDeleted,
}

impl Action {
    /// Every action, in Label Studio's order.
    pub const ALL: [Action; 12] = [
        Action::ProjectCreated,
        Action::ProjectUpdated,
        Action::ProjectDeleted,
        Action::TasksCreated,
        Action::TasksDeleted,
        Action::AnnotationCreated,
        Action::AnnotationsCreated,
        Action::AnnotationUpdated,
        Action::AnnotationsDeleted,
        Action::LabelLinkCreated,
        Action::LabelLinkUpdated,
        Action::LabelLinkDeleted,
    ];

    /// The name the API and the body use (`TASKS_CREATED`).
    pub fn name(self) -> &'static str {
        match self {
            Action::ProjectCreated => "PROJECT_CREATED",
            Action::ProjectUpdated => "PROJECT_UPDATED",
            Action::ProjectDeleted => "PROJECT_DELETED",
            Action::TasksCreated => "TASKS_CREATED",
            Action::TasksDeleted => "TASKS_DELETED",
            Action::AnnotationCreated => "ANNOTATION_CREATED",
            Action::AnnotationsCreated => "ANNOTATIONS_CREATED",
            Action::AnnotationUpdated => "ANNOTATION_UPDATED",
            Action::AnnotationsDeleted => "ANNOTATIONS_DELETED",
            Action::LabelLinkCreated => "LABEL_LINK_CREATED",
            Action::LabelLinkUpdated => "LABEL_LINK_UPDATED",
            Action::LabelLinkDeleted => "LABEL_LINK_DELETED",
        }
    }

    /// The action of a name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// What people read (`Task created`).
    pub fn title(self) -> &'static str {
        match self {
            Action::ProjectCreated => "Project created",
            Action::ProjectUpdated => "Project updated",
            Action::ProjectDeleted => "Project deleted",
            Action::TasksCreated => "Task created",
            Action::TasksDeleted => "Task deleted",
            Action::AnnotationCreated => "Annotation created",
            Action::AnnotationsCreated => "Annotations created",
            Action::AnnotationUpdated => "Annotation updated",
            Action::AnnotationsDeleted => "Annotation deleted",
            Action::LabelLinkCreated => "Label link created",
            Action::LabelLinkUpdated => "Label link updated",
            Action::LabelLinkDeleted => "Label link deleted",
        }
    }

    /// The body's key for the objects.
    pub fn key(self) -> &'static str {
        match self {
            Action::ProjectCreated | Action::ProjectUpdated | Action::ProjectDeleted => "project",
            Action::TasksCreated | Action::TasksDeleted => "tasks",
            Action::AnnotationCreated | Action::AnnotationsCreated | Action::AnnotationUpdated => {
                "annotation"
            }
            Action::AnnotationsDeleted => "annotations",
            Action::LabelLinkCreated | Action::LabelLinkUpdated | Action::LabelLinkDeleted => {
                "label_link"
            }
        }
    }

    /// Only the organization's webhooks hear it (there is no project to match).
    pub fn organization_only(self) -> bool {
        matches!(self, Action::ProjectCreated | Action::ProjectDeleted)
    }

    /// The body holds a list of objects (sent in batches), not one.
    pub fn many(self) -> bool {
        matches!(
            self,
            Action::TasksCreated
                | Action::TasksDeleted
                | Action::AnnotationsCreated
                | Action::AnnotationsDeleted
                | Action::LabelLinkCreated
        )
    }
}

/// One action as `/api/webhooks/info/` describes it.
#[derive(Serialize)]
pub struct ActionInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub key: &'static str,
    #[serde(rename = "organization-only")]
    pub organization_only: bool,
}

impl From<Action> for ActionInfo {
    fn from(action: Action) -> ActionInfo {
        ActionInfo {
            name: action.title(),
            description: "",
            key: action.key(),
            organization_only: action.organization_only(),
        }
    }
}
