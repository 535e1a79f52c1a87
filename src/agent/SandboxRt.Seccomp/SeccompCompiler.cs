// Compiling an OCI seccomp profile to a classic BPF filter for x86_64.
//
// What the filter decides. For each system call the kernel runs the filter over struct seccomp_data
// { int nr; u32 arch; u64 ip; u64 args[6]; } and acts on the 32-bit value it returns. A profile's
// entries are tried in profile order for the call's name; the first entry whose argument conditions
// all hold (AND; no conditions: always) decides, and when none does the default action applies.
// Arguments are compared as unsigned 64-bit values. This is first-match, like an iptables chain,
// which is simpler to predict than libseccomp's merging of rules by action priority.
//
// Layout (every jump goes forward, as classic BPF requires):
//
//   ld  arch
//   jeq AUDIT_ARCH_X86_64, 0, 1 ; ja x86_64     one pair per dispatched ABI: x86_64, then i386 if listed
//   jeq AUDIT_ARCH_I386, 0, 1   ; ja i386
//   ret KILL_PROCESS                             an ABI the profile does not list
// x86_64:
//   ld  nr
//   jge 0x40000000, 0, 1 ; ja x32 | ret default  x32 numbers never reach 64-bit rules
//   jeq n1, ret1 ; jeq n2, ret1 ; ... ; jeq nk, ret1, next ; ret1: ret ALLOW       "runs"
//   jeq m, 0, len(block) ; block                 one per syscall with argument conditions
//   ret default
// i386:   ld nr ; runs ; blocks ; ret default
// x32:    ld nr ; runs ; blocks ; ret default   (numbers carry the 0x40000000 bit)
//
// Why this shape:
// - Conditional jumps hold an 8-bit offset, so nothing may depend on jumping over a whole section.
//   Sections are entered with `ja`, whose offset is 32 bits; every conditional jump stays inside a run
//   (at most 255 names share one return) or inside one syscall's block. A block longer than 255
//   instructions (many rules for one call) is skipped with `jeq m, 1, 0 ; ja next` instead.
// - Most of a real profile is "these names: allow". Sharing one `ret` per action among up to 255 names
//   costs one instruction per name instead of two, which keeps Docker's default profile, compiled for
//   three ABIs, far below BPF_MAXINSNS (4096) and shortens the common path.
// - Syscalls are independent (one number matches at most one run or block), so names may be grouped
//   by action without changing any result.
// - A block's rules are emitted in profile order; each condition falls through when it holds and jumps
//   to the next rule when it fails (ConditionEmitter). Rules that cannot change the result are dropped:
//   those after an unconditional rule, and trailing rules whose action is the default.
// - Names an ABI does not have are left out of that ABI's section; names no listed ABI has are
//   reported in SeccompProgram.IgnoredSyscalls (runc ignores unknown names too, for portability of
//   profiles across kernel versions).
// - SandboxRt.Seccomp.Bpf.BpfAssembler resolves labels and refuses any jump that does not fit, so a
//   layout mistake is an exception here, not an EINVAL from seccomp(2) inside the container's init.

using System.Collections.Immutable;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp.Compiler;

namespace SandboxRt.Seccomp;

/// <summary>Compiles an OCI linux.seccomp profile to a classic BPF program for x86_64 (and i386, x32 if listed).</summary>
public static class SeccompCompiler
{
    /// <summary>
    /// Compiles <paramref name="profile"/>. Throws ArgumentException naming the field for anything invalid
    /// (unknown action, operator, flag or architecture; a program longer than BPF_MAXINSNS), and
    /// NotSupportedException for SCMP_ACT_NOTIFY.
    /// </summary>
    public static SeccompProgram Compile(LinuxSeccomp profile)
    {
        var policy = SeccompProfileReader.Read(profile);
        var instructions = SeccompCodeGenerator.Generate(policy);
        if (instructions.Length > SeccompFilter.MaxInstructions)
            throw new ArgumentException(
                $"linux.seccomp: the compiled filter has {instructions.Length} instructions, more than the kernel's limit of {SeccompFilter.MaxInstructions}");

        var ignored = new List<string>();
        foreach (var (name, _) in policy.Rules)
            if (!policy.Architectures.Any(table => table.TryGetNumber(name, out _)) && !ignored.Contains(name))
                ignored.Add(name);
        return new SeccompProgram(ImmutableArray.Create(instructions), policy.Flags, ignored, policy.IgnoredArchitectures);
    }
}
