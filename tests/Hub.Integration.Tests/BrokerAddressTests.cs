using Hub.Host.Composition;

namespace Hub.Integration.Tests;

/// <summary>Reading <c>ConnectionStrings:RabbitMq</c> (no server needed).</summary>
public sealed class BrokerAddressTests
{
    [Test]
    public void Parse_amqps_defaults_to_port_5671_and_decodes_user_password_and_vhost()
    {
        var a = BrokerAddress.Parse("amqps://hub-aggregator:p%40ss%3Aw0rd@broker.example/hub%2Fone");

        Assert.That((a.Tls, a.Host, a.Port, a.User, a.Password, a.VirtualHost),
            Is.EqualTo((true, "broker.example", (ushort)5671, "hub-aggregator", "p@ss:w0rd", "hub/one")));
    }

    [Test]
    public void Parse_amqp_defaults_to_port_5672_and_the_root_vhost()
    {
        var a = BrokerAddress.Parse("amqp://u:p@127.0.0.1");

        Assert.That((a.Tls, a.Port, a.VirtualHost), Is.EqualTo((false, (ushort)5672, "/")));
        Assert.That(BrokerAddress.Parse("amqps://u:p@h:6671/v").Port, Is.EqualTo(6671));
    }

    [TestCase("amqp://127.0.0.1:5672/hub", TestName = "Parse_without_credentials_refuses")]
    [TestCase("amqp://hub-aggregator@127.0.0.1/hub", TestName = "Parse_without_a_password_refuses")]
    [TestCase("amqp://:secret@127.0.0.1/hub", TestName = "Parse_without_a_user_refuses")]
    public void Parse_without_credentials_refuses_naming_the_setting_and_never_falls_back_to_guest(string connectionString) =>
        Assert.That(() => BrokerAddress.Parse(connectionString),
            Throws.InvalidOperationException.With.Message.Contains("ConnectionStrings:RabbitMq").And.Message.Contains("never as guest"));

    [TestCase(null)]
    [TestCase("")]
    [TestCase("http://u:s3cret-pw@broker/hub")]
    [TestCase("amqp://u:s3cret-pw@broker/a/b")]
    [TestCase("not a uri s3cret-pw")]
    public void Parse_errors_name_the_setting_and_never_the_password(string? connectionString) =>
        Assert.That(() => BrokerAddress.Parse(connectionString),
            Throws.InvalidOperationException.With.Message.Contains("ConnectionStrings:RabbitMq").And.Message.Not.Contains("s3cret-pw"));

    [Test]
    public void ToString_leaves_out_the_password() =>
        Assert.That(BrokerAddress.Parse("amqps://hub-adapter:s3cret-pw@broker/hub").ToString(),
            Is.EqualTo("amqps://hub-adapter@broker:5671/hub"));
}
