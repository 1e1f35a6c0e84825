using System.Globalization;
using System.Text;

namespace EmailPipeline.EndToEnd.Tests;

/// <summary>swaks → ingress → queue → delivery → Maildir, every hop a real process on a real broker.</summary>
public sealed class LocalDeliveryTests
{
    [Fact]
    public async Task A_message_for_a_local_domain_lands_in_maildir_unchanged()
    {
        await using Pipeline pipeline = await Pipeline.StartAsync();
        string wire = "From: sender@remote.test\r\nTo: user@example.test\r\nSubject: local\r\n\r\nhello maildir\r\n..dot\r\n.\r\n";
        string file = Path.Combine(pipeline.DataDirectory, "in.eml");
        await File.WriteAllTextAsync(file, wire);

        var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{pipeline.SmtpPort.ToString(CultureInfo.InvariantCulture)}",
            "--from", "sender@remote.test", "--to", "user@example.test", "--no-data-fixup", "--data", file]);
        Assert.True(swaks.ExitCode == 0, swaks.All);

        string mailbox = Path.Combine(pipeline.MaildirRoot, "example.test", "user", "new");
        string? delivered = null;
        for (int i = 0; i < 100 && delivered is null; i++)
        {
            delivered = Directory.Exists(mailbox) ? Directory.EnumerateFiles(mailbox).FirstOrDefault() : null;
            if (delivered is null)
            {
                await Task.Delay(200);
            }
        }

        Assert.True(delivered is not null, pipeline.Output);
        string text = Encoding.ASCII.GetString(await File.ReadAllBytesAsync(delivered));
        Assert.EndsWith("From: sender@remote.test\r\nTo: user@example.test\r\nSubject: local\r\n\r\nhello maildir\r\n.dot\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Received: from ", text, StringComparison.Ordinal);
    }
}
