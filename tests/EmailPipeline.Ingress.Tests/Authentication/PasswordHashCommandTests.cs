using System.Text;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class PasswordHashCommandTests
{
    [Fact]
    public async Task Prints_a_verifiable_hash_and_a_cram_md5_secret_without_echoing_the_password()
    {
        using var input = new StringReader("tanstaaftanstaaf\n");
        using var output = new StringWriter();

        int exit = await PasswordHashCommand.RunAsync(input, output, TestContext.Current.CancellationToken);

        string text = output.ToString();
        string hash = Line(text, "PasswordHash: ");
        string secret = Line(text, "CramMd5Secret: ");
        Assert.Equal(0, exit);
        Assert.DoesNotContain("tanstaaf", text, StringComparison.Ordinal);
        Assert.True(PasswordHash.TryParse(hash, out PasswordHash? parsed));
        Assert.Equal(PasswordHash.DefaultIterations, parsed.Iterations);
        Assert.True(parsed.Verify(Encoding.UTF8.GetBytes("tanstaaftanstaaf")));
        Assert.Equal(CramMd5Secret.FromPassword("tanstaaftanstaaf").Format(), secret);
    }

    [Fact]
    public async Task Empty_input_fails_with_exit_code_1()
    {
        using var input = new StringReader("");
        using var output = new StringWriter();

        Assert.Equal(1, await PasswordHashCommand.RunAsync(input, output, TestContext.Current.CancellationToken));
        Assert.Contains("No password given", output.ToString(), StringComparison.Ordinal);
    }

    private static string Line(string text, string label) =>
        text.Split('\n').Single(line => line.StartsWith(label, StringComparison.Ordinal))[label.Length..].TrimEnd('\r');
}
