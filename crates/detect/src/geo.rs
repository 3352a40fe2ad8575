//! Country and autonomous system of an address, from MaxMind-format
//! databases the analyst supplies (`--geoip` for a GeoIP2/GeoLite2 Country or
//! City database, `--asn` for an ASN database). vigie ships none and fetches
//! none.

use std::net::IpAddr;
use std::path::Path;

use maxminddb::Reader;
use serde::Deserialize;

/// A database that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct GeoError {
    /// The database file.
    pub path: String,
    /// Why.
    pub message: String,
}

/// The databases given, either of which may be absent.
#[derive(Default)]
pub struct GeoDb {
    country: Option<Reader<Vec<u8>>>,
    asn: Option<Reader<Vec<u8>>>,
}

#[derive(Deserialize)]
struct CountryRecord {
    country: Option<IsoCode>,
    registered_country: Option<IsoCode>,
}

#[derive(Deserialize)]
struct IsoCode {
    iso_code: Option<String>,
}

#[derive(Deserialize)]
struct AsnRecord {
    autonomous_system_number: Option<u32>,
}

impl GeoDb {
    /// Opens the databases that are given.
    pub fn open(country: Option<&Path>, asn: Option<&Path>) -> Result<GeoDb, GeoError> {
        let open = |path: &Path| {
            Reader::open_readfile(path).map_err(|e| GeoError {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        };
        Ok(GeoDb {
            country: country.map(open).transpose()?,
            asn: asn.map(open).transpose()?,
        })
    }

    /// Whether any database was given.
    pub fn is_empty(&self) -> bool {
        self.country.is_none() && self.asn.is_none()
    }

    /// The ISO country code of an address (where it is, or else where its block is registered).
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let record: CountryRecord = self.country.as_ref()?.lookup(ip).ok()?.decode().ok()??;
        record.country.or(record.registered_country)?.iso_code
    }

    /// The autonomous system number of an address.
    pub fn asn(&self, ip: IpAddr) -> Option<u32> {
        let record: AsnRecord = self.asn.as_ref()?.lookup(ip).ok()?.decode().ok()??;
        record.autonomous_system_number
    }
}

/// MaxMind-format databases for tests (feature `test-support`): no test
/// ever fetches GeoLite2.
#[cfg(any(test, feature = "test-support"))]
pub mod testing {
    use std::path::{Path, PathBuf};

    #[derive(serde::Serialize)]
    struct Country<'a> {
        country: Iso<'a>,
    }
    #[derive(serde::Serialize)]
    struct Iso<'a> {
        iso_code: &'a str,
    }
    #[derive(serde::Serialize)]
    struct Asn {
        autonomous_system_number: u32,
    }

    /// Writes `country.mmdb` and `asn.mmdb` into `dir`, placing each
    /// network (CIDR) in its ISO country and autonomous system.
    pub fn write_databases(dir: &Path, places: &[(&str, &str, u32)]) -> (PathBuf, PathBuf) {
        let mut countries = mmdb_writer::Writer::new("GeoLite2-Country");
        let mut asns = mmdb_writer::Writer::new("GeoLite2-ASN");
        for &(net, iso_code, asn) in places {
            let net: ipnet::IpNet = net.parse().expect("a CIDR network");
            let country = Country {
                country: Iso { iso_code },
            };
            countries.insert(net, &country).expect("country record");
            let number = Asn {
                autonomous_system_number: asn,
            };
            asns.insert(net, &number).expect("ASN record");
        }
        let (c, a) = (dir.join("country.mmdb"), dir.join("asn.mmdb"));
        std::fs::write(&c, countries.to_bytes().expect("country database")).expect("writable");
        std::fs::write(&a, asns.to_bytes().expect("ASN database")).expect("writable");
        (c, a)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a country and an ASN database: 192.0.2.0/24 is FR in AS64500,
    /// 198.51.100.0/24 is RU in AS64511.
    pub fn databases(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
        super::testing::write_databases(
            dir,
            &[
                ("192.0.2.0/24", "FR", 64_500),
                ("198.51.100.0/24", "RU", 64_511),
            ],
        )
    }

    #[test]
    fn reads_country_and_asn_and_reports_a_bad_file() {
        let dir = std::env::temp_dir().join(format!("vigie-geo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (c, a) = databases(&dir);
        let geo = GeoDb::open(Some(&c), Some(&a)).unwrap();
        assert_eq!(
            geo.country("198.51.100.7".parse().unwrap()).as_deref(),
            Some("RU")
        );
        assert_eq!(geo.asn("192.0.2.9".parse().unwrap()), Some(64_500));
        assert_eq!(geo.country("203.0.113.1".parse().unwrap()), None);
        std::fs::write(dir.join("bad.mmdb"), b"not a database").unwrap();
        let Err(err) = GeoDb::open(Some(&dir.join("bad.mmdb")), None) else {
            panic!("a bad file opened")
        };
        assert!(err.to_string().contains("bad.mmdb"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
