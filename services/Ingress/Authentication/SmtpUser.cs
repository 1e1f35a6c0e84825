namespace EmailPipeline.Ingress.Authentication;

/// <summary>A configured account with its parsed credentials. Holds secrets: never log it.</summary>
public sealed class SmtpUser
{
    public SmtpUser(string name, PasswordHash? passwordHash, CramMd5Secret? cramMd5Secret, IReadOnlyList<string> senders)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(senders);
        Name = name;
        PasswordHash = passwordHash;
        CramMd5Secret = cramMd5Secret;
        Senders = senders;
    }

    public string Name { get; }

    public PasswordHash? PasswordHash { get; }

    public CramMd5Secret? CramMd5Secret { get; }

    public IReadOnlyList<string> Senders { get; }

    public override string ToString() => Name;
}
