// Checks cri-api.proto (a hand-written subset of CRI runtime.v1) against the runtime.v1 descriptor that
// the containerd binary itself carries: Go protobuf code registers each .proto file as a gzipped
// FileDescriptorProto, so the exact schema containerd speaks can be read back out of the executable.
// Every service, method, message, field (name, number, type, label) and enum value in the subset must
// exist in containerd's copy with the same number and type.
//
// usage: node verify-proto.js [CONTAINERD_BINARY]   (default: containerd on PATH)
// prints one JSON object {ok, binary, checked, problems[]}; exits 1 when a problem is found.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');
const protobuf = require('protobufjs');
const descriptorJson = require('protobufjs/google/protobuf/descriptor.json');

const binary = process.argv[2] || execFileSync('sh', ['-c', 'command -v containerd']).toString().trim();
const FileDescriptorProto = protobuf.Root.fromJSON(descriptorJson).lookupType('google.protobuf.FileDescriptorProto');

// Finds the gzip member whose FileDescriptorProto has package runtime.v1.
function findDescriptor(data) {
  const marker = Buffer.from([0x1f, 0x8b, 0x08]);
  for (let i = data.indexOf(marker); i >= 0; i = data.indexOf(marker, i + 1)) {
    const flags = data[i + 3];
    if (flags !== 0) continue; // Go's gzip writer emits no optional header fields
    let out;
    try {
      out = zlib.inflateRawSync(data.subarray(i + 10, i + 10 + 262144), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      continue;
    }
    if (out.length < 32 || out.indexOf('runtime.v1') < 0 || out.indexOf('runtime.v1') > 64) continue;
    let fd;
    try {
      fd = FileDescriptorProto.decode(out);
    } catch {
      continue;
    }
    if (fd.package === 'runtime.v1') return fd;
  }
  return null;
}

// protobufjs field type names → FieldDescriptorProto.Type numbers
const scalarTypes = {
  double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8, string: 9,
  bytes: 12, uint32: 13, sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18,
};

function indexDescriptor(fd) {
  const messages = new Map();
  const enums = new Map();
  const visit = (prefix, m) => {
    const full = prefix + '.' + m.name;
    messages.set(full, m);
    for (const n of m.nestedType || []) visit(full, n);
    for (const e of m.enumType || []) enums.set(full + '.' + e.name, e);
  };
  for (const m of fd.messageType || []) visit('.' + fd.package, m);
  for (const e of fd.enumType || []) enums.set('.' + fd.package + '.' + e.name, e);
  const services = new Map((fd.service || []).map((s) => [s.name, s]));
  return { messages, enums, services };
}

function main() {
  const data = fs.readFileSync(binary);
  const fd = findDescriptor(data);
  if (!fd) {
    console.log(JSON.stringify({ ok: false, binary, problems: ['no runtime.v1 FileDescriptorProto found in the binary'] }));
    process.exit(1);
  }
  const theirs = indexDescriptor(fd);
  const ours = new protobuf.Root().loadSync(path.join(__dirname, 'cri-api.proto'), { keepCase: true });
  ours.resolveAll();
  const problems = [];
  let checked = 0;

  const walk = (ns) => {
    for (const obj of ns.nestedArray) {
      const full = obj.fullName; // ".runtime.v1.X"
      if (obj instanceof protobuf.Service) {
        const svc = theirs.services.get(obj.name);
        if (!svc) { problems.push(`service ${obj.name} missing`); continue; }
        for (const method of obj.methodsArray) {
          checked++;
          const m = (svc.method || []).find((x) => x.name === method.name);
          if (!m) { problems.push(`rpc ${obj.name}.${method.name} missing`); continue; }
          const req = method.resolvedRequestType.fullName;
          const res = method.resolvedResponseType.fullName;
          if (m.inputType !== req || m.outputType !== res)
            problems.push(`rpc ${obj.name}.${method.name}: ours ${req}→${res}, containerd ${m.inputType}→${m.outputType}`);
        }
      } else if (obj instanceof protobuf.Type) {
        const msg = theirs.messages.get(full);
        if (!msg) { problems.push(`message ${full} missing`); continue; }
        for (const field of obj.fieldsArray) {
          checked++;
          const f = (msg.field || []).find((x) => x.name === field.name);
          if (!f) { problems.push(`${full}.${field.name} missing`); continue; }
          if (f.number !== field.id) problems.push(`${full}.${field.name}: number ours ${field.id}, containerd ${f.number}`);
          if (field.map) {
            // proto3 maps are repeated XxxEntry messages with key = 1, value = 2
            const entry = theirs.messages.get(f.typeName);
            const ok = f.label === 3 && entry && entry.options && entry.options.mapEntry;
            if (!ok) problems.push(`${full}.${field.name}: ours is a map, containerd's is not`);
            continue;
          }
          const repeated = f.label === 3;
          if (repeated !== field.repeated) problems.push(`${full}.${field.name}: repeated ours ${field.repeated}, containerd ${repeated}`);
          if (field.resolvedType) {
            const want = field.resolvedType.fullName;
            if (f.typeName !== want) problems.push(`${full}.${field.name}: type ours ${want}, containerd ${f.typeName}`);
          } else if (scalarTypes[field.type] !== f.type) {
            problems.push(`${full}.${field.name}: type ours ${field.type}, containerd type #${f.type}`);
          }
        }
        walk(obj);
      } else if (obj instanceof protobuf.Enum) {
        const en = theirs.enums.get(full);
        if (!en) { problems.push(`enum ${full} missing`); continue; }
        for (const [name, value] of Object.entries(obj.values)) {
          checked++;
          const v = (en.value || []).find((x) => x.name === name);
          if (!v) problems.push(`${full}.${name} missing`);
          else if (v.number !== value) problems.push(`${full}.${name}: ours ${value}, containerd ${v.number}`);
        }
      } else if (obj instanceof protobuf.Namespace) {
        walk(obj);
      }
    }
  };
  walk(ours);
  console.log(JSON.stringify({ ok: problems.length === 0, binary, checked, problems }));
  process.exit(problems.length === 0 ? 0 : 1);
}

main();
