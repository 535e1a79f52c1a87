using SandboxRt.Runtime.Diagnostics;

namespace SandboxRt.UnitTests.Diagnostics;

/// <summary>The one escaper for text the host did not write, before it reaches a terminal or a log.</summary>
[Trait("Tier", "unit")]
public sealed class SafeTextTests
{
    [Theory]
    [InlineData("plain text: 1 2 3 ~", "plain text: 1 2 3 ~")]
    [InlineData("\u001b]0;pwned\u0007\u001b[2J", "\\x1b]0;pwned\\x07\\x1b[2J")]       // set title, clear screen
    [InlineData("ok\r\nlevel=error msg=\"forged\"", "ok\\x0d\\x0alevel=error msg=\"forged\"")] // a forged log line
    [InlineData("\u009b31m", "\\x9b31m")]                                              // C1 CSI
    [InlineData("a\u007fb", "a\\x7fb")]
    [InlineData("evil\u202egnp.exe", "evil\\u{202E}gnp.exe")]                         // bidi override
    [InlineData("zero\u200bwidth", "zero\\u{200B}width")]
    [InlineData("back\\slash", "back\\\\slash")]                                     // no ambiguous escapes
    [InlineData("héllo wörld ✓", "héllo wörld ✓")]                                     // printable text stays
    [InlineData("😀", "😀")]
    public void Escapes_everything_that_is_not_printable(string input, string expected) => Assert.Equal(expected, SafeText.Escape(input));

    [Fact]
    public void A_lone_surrogate_is_escaped() => Assert.Equal("lone \\u{D800} surrogate", SafeText.Escape("lone \ud800 surrogate"));

    [Fact]
    public void Long_text_is_cut_saying_how_much()
    {
        var text = SafeText.Escape(new string('x', 10_000), 100);
        Assert.StartsWith(new string('x', 100), text);
        Assert.EndsWith("...(9900 more characters)", text);
        Assert.Equal("", SafeText.Escape(null));
    }
}
