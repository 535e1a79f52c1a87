using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.UnitTests.Sandboxes;

/// <summary>Container ids follow runc's rule: A-Z a-z 0-9 _ + - . only, and not "." or "..".</summary>
[Trait("Tier", "unit")]
public sealed class SandboxIdTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("c1")]
    [InlineData("A-b_c.d+e")]
    [InlineData(".a")]       // runc accepts these (checked with runc 1.1.5 here)
    [InlineData("_a")]
    [InlineData("+a")]
    [InlineData("..a")]
    [InlineData("a..b")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Runcs_ids_are_accepted(string id) => Assert.Equal(id, SandboxId.Validate(id));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("../../x")]
    [InlineData("a/b")]
    [InlineData("/abs")]
    [InlineData("a b")]
    [InlineData("a,b")]
    [InlineData("é")]
    [InlineData("a\n")]
    [InlineData("a\u001b[31m")]
    public void Anything_else_is_refused_with_runcs_words(string id)
    {
        var e = Assert.Throws<ArgumentException>(() => SandboxId.Validate(id));
        Assert.StartsWith("invalid container ID format", e.Message);
        Assert.DoesNotContain('\u001b', e.Message); // the id is quoted escaped, never raw
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_id_too_long_for_its_lock_file_name_is_refused()
    {
        Assert.Equal(new string('a', SandboxId.MaxLength), SandboxId.Validate(new string('a', SandboxId.MaxLength)));
        Assert.Throws<ArgumentException>(() => SandboxId.Validate(new string('a', SandboxId.MaxLength + 1)));
        Assert.True(SandboxId.MaxLength + ".lock".Length <= 255);
    }
}
