using SandboxRt.Oci.Validation;

namespace SandboxRt.UnitTests.Oci;

[Trait("Tier", "unit")]
public sealed class CpuListTests
{
    [Theory]
    [InlineData("0", "0")]
    [InlineData("0-3,8", "0-3,8")]
    [InlineData(" 3,1 , 2,2,7-8\n", "1-3,7-8")]
    [InlineData("8191", "8191")]
    public void A_list_is_read_as_the_kernel_reads_it_and_written_with_ranges_joined(string list, string formatted)
    {
        var numbers = CpuList.TryParse(list, out var error);
        Assert.Null(error);
        Assert.Equal(formatted, CpuList.Format(numbers!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("1,,2")]
    [InlineData("-1")]
    [InlineData("1-2-3")]
    [InlineData("+1")]
    [InlineData("8192")]
    [InlineData("0-99999999999")]
    public void What_is_not_a_bounded_list_is_refused(string list)
    {
        Assert.Null(CpuList.TryParse(list, out var error));
        Assert.Contains(list.Trim(), error);
    }

    [Fact]
    public void A_range_that_ends_before_it_starts_is_named() =>
        Assert.Equal("\"5-2\": the range 5-2 ends before it starts", Error("5-2"));

    private static string? Error(string list)
    {
        CpuList.TryParse(list, out var error);
        return error;
    }
}
