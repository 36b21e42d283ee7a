//! Manifests as registries serve them: Docker schema2 and manifest lists,
//! OCI manifests and indexes. Parsed once from the exact bytes whose
//! digest was checked; schema1 is refused as moby 28 refuses it.

use crate::image::Digest;
use serde::Deserialize;

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const SCHEMA1: &[&str] = &[
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// The `Accept` header of a manifest request, every kind we read.
pub fn accept_header() -> String {
    [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(", ")
}

/// How a layer blob is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerEncoding {
    Gzip,
    Zstd,
    Uncompressed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub digest: Digest,
    pub size: u64,
    pub encoding: LayerEncoding,
}

/// One image: its config blob and its layers, bottom first.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageManifest {
    pub config: Digest,
    pub layers: Vec<Layer>,
}

/// A platform entry of a list or index.
#[derive(Clone, Debug, PartialEq)]
pub struct PlatformEntry {
    pub digest: Digest,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Manifest {
    Image(ImageManifest),
    List(Vec<PlatformEntry>),
}

/// `os/arch[/variant]`, as `platform=` and `--platform` give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// The daemon's own platform, in GOARCH words.
    pub fn host() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    /// containerd's `platforms.Parse` for the forms Docker users write.
    pub fn parse(text: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let bad =
            || format!("\"{text}\": unknown operating system or architecture: invalid argument");
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_lowercase(),
                architecture: arch.to_lowercase(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform {
                    os: os.to_lowercase(),
                    architecture: arch.to_lowercase(),
                    variant: Some(variant.to_lowercase()),
                })
            }
            _ => Err(bad()),
        }
    }

    fn matches(&self, entry: &PlatformEntry) -> bool {
        entry.os == self.os
            && entry.architecture == self.architecture
            && (self.variant.is_none() || self.variant == entry.variant)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct RawDescriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<RawPlatform>,
}

#[derive(Deserialize)]
struct RawPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(rename = "schemaVersion", default)]
    schema_version: u32,
    #[serde(rename = "mediaType", default)]
    media_type: String,
    config: Option<RawDescriptor>,
    layers: Option<Vec<RawDescriptor>>,
    manifests: Option<Vec<RawDescriptor>>,
}

fn digest_of(descriptor: &RawDescriptor) -> Result<Digest, String> {
    Digest::parse(&descriptor.digest)
        .map_err(|e| format!("invalid digest {:?} in manifest: {e}", descriptor.digest))
}

/// moby 28's refusal of schema1, for `name` as the user wrote it.
pub fn schema1_refusal(name: &str) -> String {
    format!(
        "[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of {name} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/"
    )
}

/// Parses manifest bytes served with `content_type`; `name` words the
/// schema1 refusal.
pub fn parse(bytes: &[u8], content_type: &str, name: &str) -> Result<Manifest, String> {
    let content_type = content_type.split(';').next().unwrap_or("").trim();
    let raw: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| format!("invalid manifest: {e}"))?;
    if SCHEMA1.contains(&content_type)
        || SCHEMA1.contains(&raw.media_type.as_str())
        || raw.schema_version == 1
    {
        return Err(schema1_refusal(name));
    }
    if let Some(entries) = raw.manifests {
        return entries
            .iter()
            .map(|entry| {
                let platform = entry.platform.as_ref();
                Ok(PlatformEntry {
                    digest: digest_of(entry)?,
                    os: platform.map(|p| p.os.clone()).unwrap_or_default(),
                    architecture: platform.map(|p| p.architecture.clone()).unwrap_or_default(),
                    variant: platform.and_then(|p| p.variant.clone()),
                })
            })
            .collect::<Result<_, String>>()
            .map(Manifest::List);
    }
    let config = raw.config.ok_or("invalid manifest: it has no config")?;
    let layers = raw
        .layers
        .unwrap_or_default()
        .iter()
        .map(|layer| {
            let encoding = match layer.media_type.as_str() {
                "application/vnd.docker.image.rootfs.diff.tar.gzip"
                | "application/vnd.oci.image.layer.v1.tar+gzip"
                | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
                | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" => {
                    LayerEncoding::Gzip
                }
                // containerd's names; the store tells the encodings apart
                // by their magic bytes, as moby's decompressor does.
                "application/vnd.oci.image.layer.v1.tar+zstd"
                | "application/vnd.docker.image.rootfs.diff.tar.zstd"
                | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" => {
                    LayerEncoding::Zstd
                }
                "application/vnd.oci.image.layer.v1.tar"
                | "application/vnd.docker.image.rootfs.diff.tar"
                | "application/vnd.oci.image.layer.nondistributable.v1.tar" => {
                    LayerEncoding::Uncompressed
                }
                other => return Err(format!("unsupported media type {other}")),
            };
            Ok(Layer {
                digest: digest_of(layer)?,
                size: layer.size,
                encoding,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Manifest::Image(ImageManifest {
        config: digest_of(&config)?,
        layers,
    }))
}

/// The entry for `platform` of a list, the first that matches (moby
/// keeps the registry's order among equals).
pub fn choose(entries: &[PlatformEntry], platform: &Platform) -> Result<Digest, String> {
    entries
        .iter()
        .find(|entry| platform.matches(entry))
        .map(|entry| entry.digest.clone())
        .ok_or_else(|| format!("no matching manifest for {platform} in the manifest list entries"))
}

/// A blob a manifest names.
#[derive(serde::Serialize)]
struct Descriptor<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    size: u64,
    digest: String,
}

#[derive(serde::Serialize)]
struct Schema2<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    config: Descriptor<'a>,
    layers: Vec<Descriptor<'a>>,
}

/// A layer blob to name in a pushed manifest.
pub struct PushedLayer {
    pub digest: Digest,
    pub size: u64,
    pub gzip: bool,
}

/// The Docker schema2 manifest moby pushes, laid out as Go's
/// `json.MarshalIndent(m, "", "   ")` writes it.
pub fn schema2(config: &Digest, config_size: u64, layers: &[PushedLayer]) -> Vec<u8> {
    let manifest = Schema2 {
        schema_version: 2,
        media_type: DOCKER_MANIFEST,
        config: Descriptor {
            media_type: "application/vnd.docker.container.image.v1+json",
            size: config_size,
            digest: config.to_string(),
        },
        layers: layers
            .iter()
            .map(|layer| Descriptor {
                media_type: if layer.gzip {
                    "application/vnd.docker.image.rootfs.diff.tar.gzip"
                } else {
                    "application/vnd.docker.image.rootfs.diff.tar"
                },
                size: layer.size,
                digest: layer.digest.to_string(),
            })
            .collect(),
    };
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"   ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(&manifest, &mut serializer).unwrap_or_default();
    out
}

/// The media type a manifest's bytes declare (OCI when they say none).
pub fn media_type_of(bytes: &[u8]) -> String {
    serde_json::from_slice::<RawManifest>(bytes)
        .ok()
        .map(|raw| raw.media_type)
        .filter(|media_type| !media_type.is_empty())
        .unwrap_or_else(|| OCI_MANIFEST.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn reads_schema2_and_oci_manifests_with_their_layer_encodings() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"x","digest":"{A}","size":3}},
            "layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{B}","size":9}},
                      {{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{A}","size":4}}]}}"#
        );
        let Manifest::Image(image) = parse(body.as_bytes(), DOCKER_MANIFEST, "x").unwrap() else {
            panic!("not an image manifest")
        };
        assert_eq!(image.config, Digest::parse(A).unwrap());
        assert_eq!(image.layers[0].encoding, LayerEncoding::Gzip);
        assert_eq!(image.layers[0].size, 9);
        assert_eq!(image.layers[1].encoding, LayerEncoding::Uncompressed);
        let zstd = body.replace(
            "application/vnd.oci.image.layer.v1.tar\"",
            "application/vnd.oci.image.layer.v1.tar+zstd\"",
        );
        let Manifest::Image(image) = parse(zstd.as_bytes(), OCI_MANIFEST, "x").unwrap() else {
            panic!("not an image manifest")
        };
        assert_eq!(image.layers[1].encoding, LayerEncoding::Zstd);
        let xz = body.replace(
            "application/vnd.oci.image.layer.v1.tar\"",
            "application/vnd.oci.image.layer.v1.tar+xz\"",
        );
        assert_eq!(
            parse(xz.as_bytes(), OCI_MANIFEST, "x").unwrap_err(),
            "unsupported media type application/vnd.oci.image.layer.v1.tar+xz"
        );
    }

    #[test]
    fn pushed_manifests_are_laid_out_as_go_indents_them() {
        let config = Digest::parse(A).unwrap();
        let layer = PushedLayer {
            digest: Digest::parse(B).unwrap(),
            size: 9,
            gzip: true,
        };
        let text = String::from_utf8(schema2(&config, 3, &[layer])).unwrap();
        let expected = format!(
            "{{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"{DOCKER_MANIFEST}\",\n   \"config\": {{\n      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n      \"size\": 3,\n      \"digest\": \"{A}\"\n   }},\n   \"layers\": [\n      {{\n         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n         \"size\": 9,\n         \"digest\": \"{B}\"\n      }}\n   ]\n}}"
        );
        assert_eq!(text, expected);
        assert_eq!(media_type_of(text.as_bytes()), DOCKER_MANIFEST);
    }

    #[test]
    fn refuses_schema1_with_dockers_notice() {
        let body = br#"{"schemaVersion":1,"name":"x","fsLayers":[]}"#;
        let error = parse(
            body,
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            "localhost:5000/x:1",
        )
        .unwrap_err();
        assert!(
            error.starts_with("[DEPRECATION NOTICE] Docker Image Format v1"),
            "{error}"
        );
        assert!(
            error.contains("Suggest the author of localhost:5000/x:1 to upgrade"),
            "{error}"
        );
    }

    #[test]
    fn picks_the_platform_of_an_index() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
              {{"mediaType":"{OCI_MANIFEST}","digest":"{A}","size":1,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
              {{"mediaType":"{OCI_MANIFEST}","digest":"{B}","size":1,"platform":{{"os":"linux","architecture":"amd64"}}}}]}}"#
        );
        let Manifest::List(entries) = parse(body.as_bytes(), OCI_INDEX, "x").unwrap() else {
            panic!("not an index")
        };
        let amd64 = Platform::parse("linux/amd64").unwrap();
        assert_eq!(choose(&entries, &amd64).unwrap(), Digest::parse(B).unwrap());
        let arm64 = Platform::parse("linux/arm64").unwrap();
        assert_eq!(choose(&entries, &arm64).unwrap(), Digest::parse(A).unwrap());
        let s390x = Platform::parse("linux/s390x").unwrap();
        assert_eq!(
            choose(&entries, &s390x).unwrap_err(),
            "no matching manifest for linux/s390x in the manifest list entries"
        );
        assert!(Platform::parse("linux").is_err());
    }
}
