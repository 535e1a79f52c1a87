using SandboxRt.Oci.Validation;

namespace SandboxRt.UnitTests.Oci;

/// <summary>Container ids follow runc's rule: A-Z a-z 0-9 _ + - . only, and not "." or "..".</summary>
[Trait("Tier", "unit")]
public sealed class ContainerIdTests
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
    public void Runcs_ids_are_accepted(string id) => Assert.Equal(id, ContainerId.Validate(id));

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
        var e = Assert.Throws<ArgumentException>(() => ContainerId.Validate(id));
        Assert.StartsWith("invalid container ID format", e.Message);
        Assert.DoesNotContain('\u001b', e.Message); // the id is quoted escaped, never raw
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_id_too_long_for_its_lock_file_name_is_refused()
    {
        Assert.Equal(new string('a', ContainerId.MaxLength), ContainerId.Validate(new string('a', ContainerId.MaxLength)));
        Assert.Throws<ArgumentException>(() => ContainerId.Validate(new string('a', ContainerId.MaxLength + 1)));
        Assert.True(ContainerId.MaxLength + ".lock".Length <= 255);
    }

    [Fact]
    public void The_error_names_the_field_it_was_given()
    {
        var e = Assert.Throws<ArgumentException>(() => ContainerId.Validate("a/b", "exec_id"));
        Assert.StartsWith("invalid exec_id format: 'a/b'", e.Message);
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData(null, false)]
    [InlineData("..", false)]
    [InlineData("a,b", false)]
    public void IsValid_agrees_with_Validate(string? id, bool valid) => Assert.Equal(valid, ContainerId.IsValid(id));
}
