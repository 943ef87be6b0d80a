"""The local stack's stand-in for Lambda's SQS poller (template.yaml's
`MailerQueueMapping`), and its mail console:

    .tools/bin/python3 tests/mail_poller.py QUEUE_URL WATCH_URL MOTO_URL

As the mailer's IAM user (profile `mailer` of the local stack's credentials
file, as the mapping uses the function's role), it receives batches of up
to 10 from the mail queue, invokes the `mailer` function served by `cargo
lambda watch` at WATCH_URL with them as an SQS event, and deletes the
messages the function did not report back in `batchItemFailures` (those
come back after the queue's visibility timeout, and after `maxReceiveCount`
receives wait in the dead-letter queue). After each batch it prints every
email moto's SES sent since the last: recipient, subject and the link,
so a developer can click through.
"""
import html
import json
import re
import sys
import time
import urllib.request

import boto3


def invoke(watch, event):
    request = urllib.request.Request(
        f"{watch}/2015-03-31/functions/mailer/invocations",
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)


def sent(moto):
    with urllib.request.urlopen(f"{moto}/moto-api/data.json") as response:
        data = json.load(response)
    return data.get("ses", {}).get("Message", [])


def show(message):
    to = ", ".join(message.get("destinations", {}).get("ToAddresses", []))
    body = html.unescape(message.get("body", ""))
    links = re.findall(r'href="([^"]+)"', body)
    print(f"mail: to {to}: {message.get('subject')}", flush=True)
    for link in links:
        print(f"mail:   {link}", flush=True)


def main():
    queue, watch, moto = sys.argv[1:4]
    sqs = boto3.Session(profile_name="mailer", region_name="us-east-1").client("sqs", endpoint_url=moto)
    seen = len(sent(moto))
    while True:
        try:
            out = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2)
        except Exception as e:  # moto restarting, a network blip: try again
            print(f"mail: receive failed: {e}", file=sys.stderr, flush=True)
            time.sleep(2)
            continue
        messages = out.get("Messages", [])
        if not messages:
            continue
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m.get("MD5OfBody", ""),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:mail",
                    "awsRegion": "us-east-1",
                }
                for m in messages
            ]
        }
        try:
            response = invoke(watch, event)
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except Exception as e:  # the function failed as a whole: all retried
            print(f"mail: the mailer failed: {e}", file=sys.stderr, flush=True)
            failed = {m["MessageId"] for m in messages}
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        if failed:
            print(f"mail: {len(failed)} not sent; retried after the visibility timeout", flush=True)
        messages = sent(moto)
        for message in messages[seen:]:
            show(message)
        seen = len(messages)


if __name__ == "__main__":
    main()
