using System.Buffers.Binary;
using System.Text;

namespace SandboxRt.Runtime.Hypervisors.Jail;

/// <summary>
/// What the dynamic loader will open for an ELF64 x86_64 executable: its PT_INTERP and the transitive
/// closure of DT_NEEDED libraries, searched the way ld.so does for a program without LD_LIBRARY_PATH:
/// DT_RPATH (when there is no DT_RUNPATH), DT_RUNPATH, then the multiarch and default directories.
/// Only the files' headers are read; nothing is executed (unlike ldd).
/// </summary>
public static class ElfDependencies
{
    private const uint PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
    private const long DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_RPATH = 15, DT_RUNPATH = 29;
    private static readonly string[] DefaultDirectories =
        ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"];

    /// <summary>The interpreter and every library (as the paths the loader opens, before symlinks), in discovery order.</summary>
    public static IReadOnlyList<string> Resolve(string executable)
    {
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        queue.Enqueue(executable);
        while (queue.Count > 0)
        {
            var file = queue.Dequeue();
            var elf = Read(file);
            if (elf.Interpreter is { } interp && seen.Add(interp))
                found.Add(interp);
            foreach (var name in elf.Needed)
            {
                var path = Find(name, elf, file) ?? throw new HypervisorException($"{file} needs {name}, which is in none of {string.Join(", ", elf.SearchPath(file).Concat(DefaultDirectories))}");
                if (seen.Add(path))
                {
                    found.Add(path);
                    queue.Enqueue(path);
                }
            }
        }
        return found;
    }

    private static string? Find(string name, ElfInfo elf, string file)
    {
        if (name.Contains('/'))
            return File.Exists(name) ? name : null;
        return elf.SearchPath(file).Concat(DefaultDirectories).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    private sealed record ElfInfo(string? Interpreter, List<string> Needed, string? RPath, string? RunPath)
    {
        public IEnumerable<string> SearchPath(string file)
        {
            var origin = Path.GetDirectoryName(Path.GetFullPath(file))!;
            var list = RunPath ?? RPath ?? "";
            return list.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => d.Replace("$ORIGIN", origin).Replace("${ORIGIN}", origin));
        }
    }

    private static ElfInfo Read(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            return Read(handle, RandomAccess.GetLength(handle), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HypervisorException($"reading {path}: {e.Message}", e);
        }
    }

    /// <summary>Reads only the headers, the dynamic table and the strings it names (QEMU is tens of MiB).</summary>
    private static ElfInfo Read(Microsoft.Win32.SafeHandles.SafeFileHandle file, long length, string path)
    {
        byte[] ReadAt(ulong offset, ulong count)
        {
            if (offset > (ulong)length || count > (ulong)length - offset || count > 1 << 20)
                throw new HypervisorException($"{path}: a header points outside the file");
            var buffer = new byte[count];
            if (RandomAccess.Read(file, buffer, (long)offset) != (int)count)
                throw new HypervisorException($"{path}: short read at {offset}");
            return buffer;
        }
        var header = ReadAt(0, 64).AsSpan();
        if (header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F' || header[4] != 2 /* ELFCLASS64 */ || header[5] != 1 /* little endian */)
            throw new HypervisorException($"{path}: not a little-endian ELF64 file");
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header[54..]);
        ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(header[56..]);
        if (phentsize < 56)
            throw new HypervisorException($"{path}: program header entries of {phentsize} bytes");
        var headers = ReadAt(phoff, (ulong)phentsize * phnum);
        var loads = new List<(ulong VAddr, ulong Offset, ulong Size)>();
        string? interpreter = null;
        (ulong Offset, ulong Size)? dynamic = null;
        for (int i = 0; i < phnum; i++)
        {
            var ph = headers.AsSpan(i * phentsize, 56);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(ph);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
            ulong vaddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]);
            ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            if (type == PT_LOAD)
                loads.Add((vaddr, offset, filesz));
            else if (type == PT_INTERP)
                interpreter = CString(ReadAt(offset, filesz));
            else if (type == PT_DYNAMIC)
                dynamic = (offset, filesz);
        }
        var needed = new List<long>();
        long strtab = -1, rpath = -1, runpath = -1;
        if (dynamic is { } d)
        {
            var table = ReadAt(d.Offset, d.Size).AsSpan();
            for (int i = 0; i + 16 <= table.Length; i += 16)
            {
                long tag = BinaryPrimitives.ReadInt64LittleEndian(table[i..]);
                long value = BinaryPrimitives.ReadInt64LittleEndian(table[(i + 8)..]);
                if (tag == DT_NULL)
                    break;
                switch (tag)
                {
                    case DT_NEEDED: needed.Add(value); break;
                    case DT_STRTAB: strtab = value; break;
                    case DT_RPATH: rpath = value; break;
                    case DT_RUNPATH: runpath = value; break;
                }
            }
        }
        string? At(long offset)
        {
            if (offset < 0 || strtab < 0)
                return null;
            var load = loads.FirstOrDefault(l => (ulong)strtab >= l.VAddr && (ulong)strtab < l.VAddr + l.Size);
            if (load.Size == 0)
                throw new HypervisorException($"{path}: DT_STRTAB is outside every PT_LOAD segment");
            ulong at = (ulong)strtab - load.VAddr + load.Offset + (ulong)offset;
            return CString(ReadAt(at, Math.Min(4096UL, (ulong)length - Math.Min(at, (ulong)length))));
        }
        return new ElfInfo(interpreter, needed.Select(n => At(n)!).ToList(), At(rpath), At(runpath));
    }

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }
}
