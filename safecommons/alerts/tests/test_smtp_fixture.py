from django.core.mail import send_mail


def test_mail_sent_through_django_arrives_at_the_local_smtp_server(smtp_server):
    send_mail("Hello", "Body text", "from@riverton.example", ["to@mail.example"])
    [message] = smtp_server.to("to@mail.example")
    assert message["Subject"] == "Hello" and message.get_content().strip() == "Body text"
