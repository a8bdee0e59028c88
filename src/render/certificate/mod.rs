//! The certificate reports: a bundle's lint (`bundle`), a served chain's (`expiry`), and the
//! monitoring plugin's line (`nagios`).
