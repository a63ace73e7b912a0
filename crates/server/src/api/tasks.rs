//! placeholder
use axum::Router;
use crate::state::AppState;
pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> { router }
