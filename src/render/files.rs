//! Placing objects into files: one file per path, objects in id order, each file with the
//! header naming its inputs and their hash.

use super::*;

/// An object before it is placed in a file.
pub(super) struct Piece {
    pub(super) environment: Option<String>,
    pub(super) path: String,
    /// Environments whose settings the object depends on.
    pub(super) inputs: Vec<String>,
    pub(super) object: Emitted,
}

/// An object as it goes into a file: its identity and canonical YAML (or why it could not be
/// written, reported when the file is assembled). Typed objects are emitted as soon as they are
/// made, so a fleet's typed objects never all sit in memory at once.
pub(super) struct Emitted {
    pub(super) id: objects::ObjectId,
    pub(super) yaml: Result<String, crate::yaml::WriteError>,
}

pub(super) fn emit(object: Canonical) -> Emitted {
    Emitted {
        yaml: object.to_yaml(),
        id: object.id,
    }
}

/// The file name of an object: `<kind-lowercase>-<name>.yaml`.
pub(super) fn file_name(object: &Canonical) -> String {
    let id = &object.id;
    format!("{}-{}.yaml", id.kind.to_lowercase(), id.name)
}

pub(super) fn piece(env: &str, dir: &str, object: Canonical) -> Piece {
    Piece {
        environment: Some(env.to_owned()),
        path: format!("{env}/{dir}/{}", file_name(&object)),
        inputs: vec![env.to_owned()],
        object: emit(object),
    }
}

/// Group pieces into files with headers and hand each file to `sink`.
pub(super) fn assemble(
    mut pieces: Vec<Piece>,
    headers: &Headers<'_>,
    sink: &(dyn Fn(RenderedFile) + Sync),
) -> Result<(), RenderError> {
    // One file per run of pieces with the same path, its objects in id order.
    pieces.sort_unstable_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then_with(|| a.object.id.cmp(&b.object.id))
    });
    let mut rest = pieces.into_iter().peekable();
    while let Some(first) = rest.next() {
        let mut group = vec![first];
        while let Some(next) = rest.next_if(|p| p.path == group[0].path) {
            group.push(next);
        }
        sink(file(group, headers)?);
    }
    Ok(())
}

/// One file: the header over the environments its objects use, then the objects.
pub(super) fn file(group: Vec<Piece>, headers: &Headers<'_>) -> Result<RenderedFile, RenderError> {
    let path = group[0].path.clone();
    if group.windows(2).any(|w| w[0].object.id == w[1].object.id)
        || (group.len() > 1 && !path.starts_with(FLEET_DIR))
    {
        return Err(RenderError::Collision(path));
    }
    let used: BTreeSet<&str> = group
        .iter()
        .flat_map(|p| &p.inputs)
        .map(String::as_str)
        .collect();
    let header = headers.header(&used);
    let size = header.len()
        + group
            .iter()
            .map(|p| p.object.yaml.as_ref().map_or(0, |y| y.len() + 4))
            .sum::<usize>();
    let mut text = String::with_capacity(size);
    text.push_str(&header);
    let mut objects = Vec::with_capacity(group.len());
    for (i, p) in group.into_iter().enumerate() {
        if i > 0 {
            text.push_str("---\n");
        }
        let yaml = p.object.yaml.map_err(|e| RenderError::Object {
            template: path.clone(),
            source: e.into(),
        })?;
        let start = text.len();
        text.push_str(&yaml);
        objects.push(RenderedObject {
            environment: p.environment,
            path: path.clone(),
            id: p.object.id,
            range: start..text.len(),
        });
    }
    Ok(RenderedFile {
        path,
        bytes: text.into_bytes(),
        objects,
    })
}

/// File headers: the tool version, the environment files a file comes from and the hash of
/// their effective settings. Each environment's own header is made once.
pub(super) struct Headers<'a> {
    /// Rendered environment → its file as shown in headers, and its effective settings
    /// (hashed as JSON, serialized straight into the hasher: a fleet's JSON is never held).
    pub(super) by_name: BTreeMap<&'a str, (&'a str, crate::validate::Settings<'a>)>,
    pub(super) own: HashMap<&'a str, String>,
}

impl<'a> Headers<'a> {
    pub(super) fn new(inputs: &'a [Input<'a>]) -> Headers<'a> {
        let by_name: BTreeMap<&str, (&str, crate::validate::Settings<'a>)> = inputs
            .iter()
            .map(|i| {
                (
                    i.environment.metadata.name.as_str(),
                    (i.file.as_str(), i.effective),
                )
            })
            .collect();
        let mut headers = Headers {
            by_name,
            own: HashMap::new(),
        };
        headers.own = headers
            .by_name
            .par_iter()
            .map(|(name, _)| (*name, headers.make(&BTreeSet::from([*name]))))
            .collect();
        headers
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.by_name.keys().map(|s| (*s).to_owned()).collect()
    }

    /// The header of a file using the environments `used` (those not rendered are ignored).
    fn header(&self, used: &BTreeSet<&str>) -> std::borrow::Cow<'_, str> {
        if used.len() == 1
            && let Some(header) = used.first().and_then(|only| self.own.get(*only))
        {
            return std::borrow::Cow::Borrowed(header);
        }
        std::borrow::Cow::Owned(self.make(used))
    }

    fn make(&self, used: &BTreeSet<&str>) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("ck8s-gen {VERSION}\n"));
        let mut files = Vec::new();
        for name in used {
            if let Some((file, effective)) = self.by_name.get(name) {
                files.push(*file);
                hasher.update(name.as_bytes());
                hasher.update(b"\n");
                // The same bytes as the value's `to_string()`; writing into a hasher cannot fail.
                let _ = effective.write_json(&mut hasher);
                hasher.update(b"\n");
            }
        }
        let digest = hasher.finalize();
        let hex = crate::text::hex(&digest);
        format!(
            "# Generated by ck8s-gen {VERSION} from {}. Do not edit: change the environment file and run ck8s-gen render.\n# input-sha256: {hex}\n",
            files.join(", ")
        )
    }
}
