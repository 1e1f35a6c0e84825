using System.ComponentModel.DataAnnotations;
using EmailPipeline.Policy.Dmarc;

namespace EmailPipeline.Policy.Tests.Dmarc;

/// <summary>The Public Suffix List ships with the service (issue 9: the image had none, so Policy exited 78).</summary>
public sealed class DmarcOptionsTests
{
    [Fact]
    public void The_default_list_is_the_copy_shipped_next_to_the_assembly()
    {
        var options = new DmarcOptions();

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "public_suffix_list.dat"), options.PublicSuffixListPath);
        Assert.Empty(Failures(options));
        Assert.True(PublicSuffixList.Load(options.PublicSuffixListPath).RuleCount > 5000);
    }

    [Fact]
    public void A_configured_list_replaces_the_shipped_one()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("emailpipeline-psl-").FullName, "fresher.dat");
        try
        {
            File.WriteAllLines(path, ["// a mounted copy", "test", "*.ck", "!www.ck"]);
            var options = new DmarcOptions { PublicSuffixListPath = path };

            Assert.Empty(Failures(options));
            Assert.Equal(3, PublicSuffixList.Load(options.PublicSuffixListPath).RuleCount);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void A_missing_list_fails_start_up_naming_the_setting_and_the_path()
    {
        var options = new DmarcOptions { PublicSuffixListPath = "/nonexistent/public_suffix_list.dat" };

        ValidationResult failure = Assert.Single(Failures(options));

        Assert.StartsWith("Policy:Dmarc:PublicSuffixListPath: /nonexistent/public_suffix_list.dat does not exist", failure.ErrorMessage, StringComparison.Ordinal);
    }

    private static List<ValidationResult> Failures(DmarcOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
