using System.Security.Cryptography;
using System.Text;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// <c>hash-password</c>: reads one password line and prints the values to paste into
/// <c>Ingress:Authentication:Users</c>. The password is never echoed.
/// </summary>
public static class PasswordHashCommand
{
    /// <returns>0 on success, 1 when no password was given.</returns>
    public static async Task<int> RunAsync(TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        string? password = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(password))
        {
            await output.WriteLineAsync("No password given: type it on standard input, followed by Enter.".AsMemory(), cancellationToken).ConfigureAwait(false);
            return 1;
        }

        byte[] bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            string hash = PasswordHash.Create(bytes).Format();
            string cramMd5 = CramMd5Secret.FromPassword(bytes).Format();
            var text = new StringBuilder()
                .AppendLine($"PasswordHash: {hash}")
                .AppendLine($"CramMd5Secret: {cramMd5}")
                .AppendLine("Set CramMd5Secret only if CRAM-MD5 is needed: it is not the password, but anyone holding it can log in with CRAM-MD5.")
                .ToString();
            await output.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
