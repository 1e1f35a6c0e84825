using System.Globalization;
using System.Runtime.InteropServices;

namespace EmailPipeline.Delivery.Maildir;

/// <summary>
/// Writes one message into one Maildir the way qmail's maildir(5) says: a unique name, written and fsynced
/// in tmp/, renamed into new/, then new/ itself fsynced so the rename survives a crash. Only after that
/// does the caller report the recipient as delivered, so "delivered" means the mail survives a power loss.
/// A mailbox created for this message has each new directory's parent fsynced too (otherwise new/ itself
/// could vanish with the message in it). If a sync fails the error goes up and the recipient is deferred:
/// the message may then be in new/ and arrive twice, never be lost.
/// </summary>
public sealed partial class MaildirWriter
{
    private static long _counter;
    private readonly string _host = SafeHostName();

    /// <summary>Writes <paramref name="prefix"/> then <paramref name="content"/>; returns the path in new/.</summary>
    public async Task<string> DeliverAsync(string mailbox, ReadOnlyMemory<byte> prefix, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        string tmp = Path.Combine(mailbox, "tmp");
        string @new = Path.Combine(mailbox, "new");
        CreateDurably(tmp);
        CreateDurably(@new);
        CreateDurably(Path.Combine(mailbox, "cur"));

        string name = UniqueName();
        string tmpPath = Path.Combine(tmp, name);
        string newPath = Path.Combine(@new, name);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous, PreallocationSize = prefix.Length + content.Length };
            await using (var file = new FileStream(tmpPath, options))
            {
                await file.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
                await file.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            File.Move(tmpPath, newPath, overwrite: false);
        }
        catch
        {
            File.Delete(tmpPath);
            throw;
        }

        SyncDirectory(@new);
        return newPath;
    }

    /// <summary>"&lt;seconds&gt;.&lt;pid&gt;_&lt;counter&gt;.&lt;host&gt;": unique on this host as long as pids are.</summary>
    public string UniqueName()
    {
        long counter = Interlocked.Increment(ref _counter);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture, $"{now}.{Environment.ProcessId}_{counter}.{_host}");
    }

    private static string SafeHostName() =>
        // maildir(5): "/" and ":" cannot appear in the host part of a name.
        Environment.MachineName.Replace("/", "\\057", StringComparison.Ordinal).Replace(":", "\\072", StringComparison.Ordinal);

    /// <summary>Creates <paramref name="directory"/> and any missing parents, fsyncing the parent of each one created.</summary>
    private static void CreateDurably(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        string? parent = Path.GetDirectoryName(directory);
        if (parent is not null)
        {
            CreateDurably(parent);
        }

        Directory.CreateDirectory(directory);
        if (parent is not null)
        {
            SyncDirectory(parent);
        }
    }

    private static void SyncDirectory(string directory)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
        {
            return;
        }

        const int ReadOnly = 0;
        int fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of {directory} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
