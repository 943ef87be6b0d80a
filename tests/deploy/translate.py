"""template.yaml as CloudFormation receives it: the SAM transform, offline.

    .tools/bin/python3 tests/deploy/translate.py template.yaml > translated.json
    .tools/bin/python3 tests/deploy/translate.py template.yaml --tables-on URL


Runs aws-sam-translator (installed with SAM CLI) the way `sam deploy` has
the service run it: each function's CodeUri replaced by the S3 object `sam
package` uploads, no managed-policy lookups (the template uses inline
statements only). Prints the translated template as JSON; tests/tests/
deploy.rs asserts on it (roles, routes, tables).

With `--tables-on URL` it creates the template's tables and its settings
parameter instead, as a stack named `auth` on the moto server at URL (its
CloudFormation, with the AWS configuration of the environment, every
template parameter at its default), and prints the table names as `export
USERS_TABLE=…` lines, the parameter's as `export SETTINGS_PARAMETER=…` and
the mail queue's URL as `export MAIL_QUEUE_URL=…`:
tests/serve.sh runs the local stack on what the template makes.
"""
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


class NoManagedPolicies:
    """The managed-policy loader `sam deploy` would ask IAM with."""

    def load(self):
        return {}


def translate(path):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://sam-artifacts/{name}.zip"
    return transform(template, {}, NoManagedPolicies())


def create_tables(translated, url):
    """The template's tables, SSM parameters and queues as stack `auth` on moto;
    prints, for each table the settings parameter names (`USERS_TABLE=${UsersTable}`),
    the table's name, and the settings parameter's name."""
    import boto3

    resources = translated["Resources"]
    kinds = ("AWS::DynamoDB::Table", "AWS::SSM::Parameter", "AWS::SQS::Queue")
    made = {n: r for n, r in resources.items() if r["Type"] in kinds}
    cfn = boto3.client("cloudformation", endpoint_url=url)
    body = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": translated.get("Parameters", {}),
        "Resources": made,
    }
    cfn.create_stack(StackName="auth", TemplateBody=json.dumps(body))
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName="auth")["StackResources"]
    }
    settings = made["SettingsParameter"]["Properties"]["Value"]["Fn::Sub"]
    for line in sorted(settings.splitlines()):
        name, _, value = line.partition("=")
        target = value[2:-1] if value.startswith("${") else None
        if target in made and made[target]["Type"] == "AWS::DynamoDB::Table":
            print(f"export {name}={physical[target]}")
    print(f"export SETTINGS_PARAMETER={physical['SettingsParameter']}")
    print(f"export MAIL_QUEUE_URL={physical['MailQueue']}")


if __name__ == "__main__":
    translated = translate(sys.argv[1])
    if sys.argv[2:3] == ["--tables-on"]:
        create_tables(translated, sys.argv[3])
    else:
        json.dump(translated, sys.stdout, indent=1, sort_keys=True)
