pub use gotemp_core as core;
