using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// OAUTHBEARER (RFC 7628): a GS2 header <c>n,a=&lt;user&gt;,</c> then <c>^Akey=value</c> pairs ending in
/// <c>^A^A</c>, one of them <c>auth=Bearer &lt;token&gt;</c>. Channel binding (<c>p=</c>) is not offered, so it
/// fails. The <c>a=</c> user is optional; without it the token's user is the identity. A rejected token gets
/// the RFC 7628 §3.2.2 JSON error challenge; the client must answer (with <c>^A</c>) before the failure.
/// </summary>
internal static class OAuthBearerMessage
{
    /// <summary>Parses the client's first message; <paramref name="userName"/> stays null when <c>a=</c> is absent.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out string? userName, [NotNullWhen(true)] out string? token, [NotNullWhen(false)] out string? problem)
    {
        userName = null;
        token = null;
        if (!SaslText.TryDecode(message, out string? text))
        {
            problem = "malformed message";
            return false;
        }

        // gs2-header = gs2-cb-flag "," [authzid] ","
        string[] header = text.Split(',', 3);
        if (header.Length != 3 || header[0] is not ("n" or "y"))
        {
            problem = header.Length == 3 && header[0].StartsWith("p=", StringComparison.Ordinal)
                ? "channel binding requested"
                : "malformed GS2 header";
            return false;
        }

        if (header[1].Length > 0)
        {
            if (!header[1].StartsWith("a=", StringComparison.Ordinal) || !TryUnescapeSaslName(header[1][2..], out userName))
            {
                problem = "malformed GS2 header";
                return false;
            }
        }

        string rest = header[2];
        if (!rest.StartsWith('\u0001') || !rest.EndsWith("\u0001\u0001", StringComparison.Ordinal))
        {
            problem = "malformed message";
            return false;
        }

        foreach (string pair in rest[1..^2].Split('\u0001'))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                problem = "malformed key-value pair";
                return false;
            }

            // host and port are informational; other keys are extensions we may ignore (RFC 7628 §3.1).
            if (equals == "auth".Length && pair.StartsWith("auth=", StringComparison.Ordinal) && token is null)
            {
                token = BearerIdentity.TokenFromAuthValue(pair[(equals + 1)..]);
            }
        }

        if (token is null)
        {
            problem = "no bearer token";
            return false;
        }

        problem = null;
        return true;
    }

    // saslname: "," and "=" are sent as "=2C" and "=3D"; any other "=" is malformed (RFC 5801 §4).
    private static bool TryUnescapeSaslName(string escaped, out string? name)
    {
        name = null;
        var builder = new StringBuilder(escaped.Length);
        for (int i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != '=')
            {
                builder.Append(escaped[i]);
                continue;
            }

            ReadOnlySpan<char> code = i + 2 < escaped.Length ? escaped.AsSpan(i + 1, 2) : [];
            if (code is "2C")
            {
                builder.Append(',');
            }
            else if (code is "3D")
            {
                builder.Append('=');
            }
            else
            {
                return false;
            }

            i += 2;
        }

        name = builder.ToString();
        return name.Length > 0;
    }
}
