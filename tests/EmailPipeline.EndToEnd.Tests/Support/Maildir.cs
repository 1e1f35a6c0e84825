namespace EmailPipeline.EndToEnd.Tests.Support;

/// <summary>Reads what the Maildir transport wrote: &lt;root&gt;/&lt;domain&gt;/&lt;local&gt;/new/*.</summary>
public static class Maildir
{
    public static string[] Files(string root, string address)
    {
        string local = address[..address.LastIndexOf('@')];
        string domain = address[(address.LastIndexOf('@') + 1)..];
        string dir = Path.Combine(root, domain, local, "new");
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray() : [];
    }

    /// <summary>Waits until the mailbox holds at least <paramref name="count"/> messages; returns them (maybe fewer on timeout).</summary>
    public static async Task<string[]> WaitAsync(string root, string address, TimeSpan timeout, int count = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string[] files = Files(root, address);
            if (files.Length >= count || DateTime.UtcNow > deadline)
            {
                return files;
            }

            await Task.Delay(200);
        }
    }
}
