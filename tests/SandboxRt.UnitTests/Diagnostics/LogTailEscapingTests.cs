using SandboxRt.Runtime.Diagnostics;

namespace SandboxRt.UnitTests.Diagnostics;

/// <summary>Console lines quoted in boot errors are read through LogTail, escaped.</summary>
[Trait("Tier", "unit")]
public sealed class LogTailEscapingTests
{
    [Fact]
    public void A_guest_console_with_terminal_escapes_and_a_huge_line_is_quoted_safely()
    {
        using var dir = new TempDirectory();
        var console = dir.File("console.log", "[    1.0] boot\n\u001b]0;owned\u0007\u001b[2Jcleared\n" + new string('y', 50_000) + "\n");
        var tail = LogTail.Read(console, 5);
        Assert.Equal("[    1.0] boot", tail[0]);
        Assert.Equal("\\x1b]0;owned\\x07\\x1b[2Jcleared", tail[1]);
        Assert.True(tail[2].Length < LogTail.MaxLineLength + 64, $"a {tail[2].Length}-character line");
        Assert.DoesNotContain(tail, l => l.Any(c => char.IsControl(c)));
    }
}
