//! The cluster itself: one record per deployment (legal identity, address, sector, its
//! inscription in the Ministry's register of innovative business clusters, the size of the
//! sector it claims critical mass against, management staff). Everyone signed in reads it;
//! admins write it. The accountability reports (`crate::reports`) read it.

pub mod model;
pub mod profile;
pub mod repo;

/// Registers the cluster record's endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(profile::get_cluster)
        .service(profile::put_cluster);
}
