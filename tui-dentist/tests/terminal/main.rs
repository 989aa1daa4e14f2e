//! Tests against a real system: `dentismile up` as a child process on free ports, with its
//! demo data, and the real `dentismile-dentist` binary in a real terminal (tmux).
//!
//! - [`system`]: starts `dentismile up` and finds the binaries.
//! - [`slots_file`]: a generated `slots.csv` for a dentist's own clinic.
//! - [`import`]: the 500-row import, refused with exactly its bad lines, then taken whole.
//! - [`tmux`]: signing in, publishing a week, a patient's booking appearing live, cancelling
//!   it, and an import refused, all by keystrokes in a tmux pane.

mod import;
mod slots_file;
mod system;
mod tmux;
