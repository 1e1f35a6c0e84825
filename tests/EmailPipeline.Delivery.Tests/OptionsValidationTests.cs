using System.ComponentModel.DataAnnotations;
using EmailPipeline.Delivery.Configuration;

namespace EmailPipeline.Delivery.Tests;

public sealed class OptionsValidationTests
{
    private static List<string> Problems(DeliveryOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage!).ToList();
    }

    [Fact]
    public void Defaults_are_valid() => Assert.Empty(Problems(new DeliveryOptions()));

    [Fact]
    public void The_journal_path_must_name_a_file()
    {
        string directory = Path.GetTempPath();
        Assert.Contains(Problems(new DeliveryOptions { JournalPath = directory }), p => p.StartsWith("Delivery:JournalPath", StringComparison.Ordinal));
        Assert.Contains(Problems(new DeliveryOptions { JournalPath = " " }), p => p.StartsWith("Delivery:JournalPath", StringComparison.Ordinal));
        Assert.Empty(Problems(new DeliveryOptions { JournalPath = Path.Combine(directory, "x", "delivery.journal") }));
    }

    [Fact]
    public void The_journal_path_follows_EMAILPIPELINE_DATA_by_default()
    {
        Assert.EndsWith(Path.DirectorySeparatorChar + "delivery.journal", DeliveryOptions.DefaultJournalPath(), StringComparison.Ordinal);
        Assert.True(Path.IsPathRooted(new DeliveryOptions().JournalPath));
    }

    [Fact]
    public void Each_bad_transport_is_named_with_its_index()
    {
        var options = new DeliveryOptions
        {
            Transports =
            [
                new TransportRule { Match = "ok.test", Kind = TransportKind.Maildir },
                new TransportRule { Match = "a*b", Kind = TransportKind.Smtp },
                new TransportRule { Match = "lmtp.test", Kind = TransportKind.Lmtp },
                new TransportRule { Match = "relay.test", Host = "relay.example", Username = "u" },
            ],
            Smarthost = new TransportRule { Kind = TransportKind.Smtp },
        };

        List<string> problems = Problems(options);

        Assert.Contains(problems, p => p.StartsWith("Delivery:Transports:1 (a*b): Match", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Delivery:Transports:2 (lmtp.test): an Lmtp transport needs Host", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Username is set but Password is not", StringComparison.Ordinal));
        Assert.Contains(problems, p => p == "Delivery:Smarthost: Host is required.");
        Assert.DoesNotContain(problems, p => p.Contains("ok.test", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_connection_reuse_limits_are_reported()
    {
        var options = new DeliveryOptions { ConnectionReuse = new ConnectionReuseOptions { MaxIdlePerHost = -1, MaxMessagesPerConnection = 0 } };

        List<string> problems = Problems(options);

        Assert.Equal(2, problems.Count(p => p.StartsWith("Delivery:ConnectionReuse: ", StringComparison.Ordinal)));
    }
}
