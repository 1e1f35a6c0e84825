namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>A throwaway directory of key files, laid out like a mounted Kubernetes Secret.</summary>
internal sealed class KeyDirectory : IDisposable
{
    public KeyDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dkim-keys-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Writes <c>&lt;selector&gt;._domainkey.&lt;domain&gt;.pem</c> and returns its path.</summary>
    public string Add(string selector, string domain, string pem) => Write($"{selector}._domainkey.{domain}.pem", pem);

    public string Write(string name, string content)
    {
        string file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, content);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
